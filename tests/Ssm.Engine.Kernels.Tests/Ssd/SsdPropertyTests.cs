using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Ssm.Engine.Kernels.Ssd;
using K = Ssm.Engine.Kernels.Ssd.Ssd;

namespace Ssm.Engine.Kernels.Tests.Ssd;

/// <summary>Metamorphic properties of the SSD kernels over random shapes (fixed FsCheck seeds).</summary>
public class SsdPropertyTests
{
    private static Config Cfg(ulong seed, int tests = 40) => Config.QuickThrowOnFailure.WithMaxTest(tests)
        .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));

    private static void Check(ulong seed, Action<SsdSpec> body, int tests = 40, Gen<SsdSpec>? gen = null) =>
        Prop.ForAll((gen ?? SsdSpec.Gen()).ToArbitrary(), body).Check(Cfg(seed, tests));

    internal static void Close(string what, float[] want, float[] got, double rtol = 2e-4, double atol = 1e-5)
    {
        Assert.Equal(want.Length, got.Length);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < want.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)want[i] - got[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs((double)want[i]));
        }
        if (!(maxDiff <= atol + rtol * maxAbs))
            throw new Xunit.Sdk.XunitException($"{what}: max|diff| {maxDiff:g3} > {atol + rtol * maxAbs:g3}");
    }

    private static (float[] Y, float[] Final) Run(SsdSpec sp, SsdInputs<float> x, SsdAlgorithm alg, int? chunk = null)
    {
        var y = new float[sp.Shape.XLength];
        var f = new float[sp.Shape.StateLength];
        var o = sp.Options(alg);
        K.Cpu.Forward(sp.Shape, chunk is int q ? o with { ChunkSize = q } : o, x, y, f);
        return (y, f);
    }

    [Fact]
    public void ChunkedEqualsRecurrent_ForEveryChunkSize() => Check(11, sp =>
    {
        var x = sp.Inputs();
        var (yr, fr) = Run(sp, x, SsdAlgorithm.Recurrent);
        foreach (int q in new[] { 1, sp.Chunk, sp.L, sp.L + 5 })
        {
            var (yc, fc) = Run(sp, x, SsdAlgorithm.Chunked, q);
            Close($"y Q={q} {sp}", yr, yc);
            Close($"final Q={q} {sp}", fr, fc);
        }
    });

    [Fact]
    public void ReferenceEqualsCpu_ForwardBothAlgorithms() => Check(12, ForwardMatchesReference);

    [Fact]
    public void ReferenceEqualsCpu_Backward() => Check(13, BackwardMatchesReference);

    /// <summary>P of 17..40 pads to multiples of 32 lanes, where AVX-512 machines take the wide register tiles (and
    /// others the 256-bit ones): both must agree with the reference.</summary>
    [Fact]
    public void ReferenceEqualsCpu_WideHeadDims() => Check(16, sp =>
    {
        ForwardMatchesReference(sp);
        BackwardMatchesReference(sp);
    }, tests: 20, gen: SsdSpec.Gen(maxL: 24, maxP: 40, minP: 17));

    /// <summary>P of 49..64 pads to one 64-lane head (padding is to two 256-bit vectors), where AVX-512 machines
    /// take the whole-head backward tiles for every 4 state rows (the remainder rows, and other machines, the
    /// general tiles): both must agree with the reference.</summary>
    [Fact]
    public void ReferenceEqualsCpu_WholeHeadBackward() => Check(18, BackwardMatchesReference,
        tests: 12, gen: SsdSpec.Gen(maxL: 24, maxP: 64, minP: 49));

    /// <summary>N a multiple of 32: without z, AVX-512 machines run the backward's forward sweep with the state
    /// in the (P, N) layout (8 × 32 tiles), with z the (N, P) tiles; both must agree with the reference.</summary>
    [Fact]
    public void ReferenceEqualsCpu_StateMajorForwardSweep() => Check(19, BackwardMatchesReference,
        tests: 16, gen: SsdSpec.Gen(maxL: 40, maxP: 64, maxN: 96, nMultiple: 32));

    /// <summary>As above with P a multiple of 16 (no padding), where the sweep without z reads dy in place.</summary>
    [Fact]
    public void ReferenceEqualsCpu_StateMajorForwardSweep_UnpaddedHeads() => Check(20, BackwardMatchesReference,
        tests: 16, gen: SsdSpec.Gen(maxL: 40, maxP: 64, maxN: 64, nMultiple: 32, pMultiple: 16));

    private static void ForwardMatchesReference(SsdSpec sp)
    {
        var x = sp.Inputs();
        var y = new float[sp.Shape.XLength];
        var f = new float[sp.Shape.StateLength];
        K.Reference.Forward(sp.Shape, sp.Options(SsdAlgorithm.Recurrent), x, y, f);
        foreach (var alg in new[] { SsdAlgorithm.Recurrent, SsdAlgorithm.Chunked, SsdAlgorithm.Auto })
        {
            var (yc, fc) = Run(sp, x, alg);
            Close($"y {alg} {sp}", y, yc);
            Close($"final {alg} {sp}", f, fc);
        }
    }

    private static void BackwardMatchesReference(SsdSpec sp)
    {
        var x = sp.Inputs();
        var (dy, dF) = sp.Cotangents();
        var want = SsdGradients<float>.Allocate(x);
        var got = SsdGradients<float>.Allocate(x);
        var o = sp.Options(SsdAlgorithm.Auto);
        K.Reference.Backward(sp.Shape, o, x, dy, dF, want);
        K.Cpu.Backward(sp.Shape, o, x, dy, dF, got);
        // The CPU log-decay gradient is a reverse cumsum of per-token terms that cancel when a token's decay is
        // tiny; its float error grows with |A| (e^-20..e^-80 per token in Strong cases), hence the looser bound.
        double decayTol = sp.Strong ? 3e-3 : 5e-4;
        Close($"dx {sp}", want.X, got.X);
        Close($"ddt {sp}", want.Dt, got.Dt, rtol: decayTol);
        Close($"dA {sp}", want.A, got.A, rtol: decayTol);
        Close($"dB {sp}", want.B, got.B);
        Close($"dC {sp}", want.C, got.C);
        if (want.D is not null) Close($"dD {sp}", want.D, got.D!);
        if (want.Z is not null) Close($"dz {sp}", want.Z, got.Z!);
        if (want.DtBias is not null) Close($"dbias {sp}", want.DtBias, got.DtBias!, rtol: decayTol);
        if (want.InitialStates is not null) Close($"dh0 {sp}", want.InitialStates, got.InitialStates!);
    }

    [Fact]
    public void SplitSequence_CarryingFinalState_EqualsOnePass() => Check(14, sp =>
    {
        var s = sp.Shape;
        var x = sp.Inputs();
        var alg = sp.Seed % 2 == 0 ? SsdAlgorithm.Chunked : SsdAlgorithm.Recurrent;
        var (y, f) = Run(sp, x, alg);
        int k = sp.Seed % s.L;   // split point in [0, L): the first part may be empty
        if (k == 0) return;
        var (first, second) = (Slice(sp, x, 0, k), Slice(sp, x, k, s.L));
        var y1 = new float[s.B * k * s.H * s.P];
        var f1 = new float[s.StateLength];
        var s1 = s with { L = k };
        K.Cpu.Forward(s1, sp.Options(alg), first, y1, f1);
        var second2 = new SsdInputs<float>
        {
            X = second.X, Dt = second.Dt, A = second.A, B = second.B, C = second.C, D = second.D, Z = second.Z,
            DtBias = second.DtBias, InitialStates = f1,
        };
        var y2 = new float[s.B * (s.L - k) * s.H * s.P];
        var f2 = new float[s.StateLength];
        K.Cpu.Forward(s with { L = s.L - k }, sp.Options(alg), second2, y2, f2);
        int row = s.H * s.P;
        var joined = new float[y.Length];
        for (int b = 0; b < s.B; b++)
        {
            Array.Copy(y1, b * k * row, joined, b * s.L * row, k * row);
            Array.Copy(y2, b * (s.L - k) * row, joined, (b * s.L + k) * row, (s.L - k) * row);
        }
        Close($"y split at {k} {sp}", y, joined);
        Close($"final split at {k} {sp}", f, f2);
    });

    // Tokens [t0, t1) of every per-token input; per-head / state inputs are shared.
    private static SsdInputs<float> Slice(SsdSpec sp, SsdInputs<float> x, int t0, int t1)
    {
        var s = sp.Shape;
        float[] Cut(float[] a, int perToken)
        {
            var r = new float[s.B * (t1 - t0) * perToken];
            for (int b = 0; b < s.B; b++)
                Array.Copy(a, (b * s.L + t0) * perToken, r, b * (t1 - t0) * perToken, (t1 - t0) * perToken);
            return r;
        }
        return new SsdInputs<float>
        {
            X = Cut(x.X, s.H * s.P), Dt = Cut(x.Dt, s.H), A = x.A, B = Cut(x.B, s.G * s.N), C = Cut(x.C, s.G * s.N),
            D = x.D, Z = x.Z is null ? null : Cut(x.Z, s.H * s.P), DtBias = x.DtBias, InitialStates = x.InitialStates,
        };
    }

    [Fact]
    public void Causality_PerturbingTokenT_LeavesEarlierOutputs() => Check(15, sp =>
    {
        var s = sp.Shape;
        var x = sp.Inputs();
        var alg = sp.Seed % 2 == 0 ? SsdAlgorithm.Chunked : SsdAlgorithm.Recurrent;
        var (y, _) = Run(sp, x, alg);
        int t = sp.Seed % s.L;
        var xp = Slice(sp, x, 0, s.L);   // copies
        for (int b = 0; b < s.B; b++)
        {
            for (int i = 0; i < s.H * s.P; i++) xp.X[(b * s.L + t) * s.H * s.P + i] += 3f;
            for (int i = 0; i < s.H; i++) xp.Dt[(b * s.L + t) * s.H + i] += 0.7f;
            for (int i = 0; i < s.G * s.N; i++) xp.B[(b * s.L + t) * s.G * s.N + i] -= 2f;
            for (int i = 0; i < s.G * s.N; i++) xp.C[(b * s.L + t) * s.G * s.N + i] *= -1.5f;
        }
        var (y2, _) = Run(sp, xp, alg);
        int row = s.H * s.P;
        for (int b = 0; b < s.B; b++)
            Close($"y before t={t} {sp}", y[(b * s.L * row)..((b * s.L + t) * row)],
                y2[(b * s.L * row)..((b * s.L + t) * row)], rtol: 1e-5, atol: 1e-6);
        bool changed = false;
        for (int b = 0; b < s.B && !changed; b++)
            for (int i = (b * s.L + t) * row; i < (b * s.L + t + 1) * row; i++) changed |= y[i] != y2[i];
        Assert.True(changed, $"perturbing token {t} must change y at t ({sp})");
    });

    [Fact]
    public void DiscreteForm_EqualsSsd_WithDtFolded() => Check(16, sp =>
    {
        // ssd with D = z = bias = none, no softplus/limit: X = x·dt, A_t = A·dt, per-head B/C = B/C of its group.
        var spec = sp with { DMode = 0, Z = false, Bias = false, Softplus = false, Limit = false };
        var s = spec.Shape;
        var x = spec.Inputs();
        var (y, f) = Run(spec, x, SsdAlgorithm.Recurrent);
        var hs = s with { G = s.H };
        var bh = new float[hs.BcLength];
        var ch = new float[hs.BcLength];
        var xd = new float[s.XLength];
        var ad = new float[s.DtLength];
        for (int bt = 0; bt < s.B * s.L; bt++)
        for (int h = 0; h < s.H; h++)
        {
            int g = h / s.HeadsPerGroup, it = bt * s.H + h;
            ad[it] = x.Dt[it] * x.A[h];
            for (int p = 0; p < s.P; p++) xd[it * s.P + p] = x.X[it * s.P + p] * x.Dt[it];
            Array.Copy(x.B, (bt * s.G + g) * s.N, bh, it * s.N, s.N);
            Array.Copy(x.C, (bt * s.G + g) * s.N, ch, it * s.N, s.N);
        }
        var xm = new SsdDiscreteInputs<float> { X = xd, A = ad, B = bh, C = ch, InitialStates = x.InitialStates };
        foreach (var alg in new[] { SsdAlgorithm.Recurrent, SsdAlgorithm.Chunked })
        {
            var ym = new float[s.XLength];
            var fm = new float[s.StateLength];
            K.Cpu.ForwardDiscrete(hs, spec.Options(alg), xm, ym, fm);
            Close($"y {alg} {spec}", y, ym);
            Close($"final {alg} {spec}", f, fm);
        }
    });

    [Fact]
    public void DiscreteBackward_MatchesReference() => Check(17, sp =>
    {
        var s = sp.Shape with { G = sp.H };
        var rng = new Random(sp.Seed);
        float[] F(int n, float lo, float hi) =>
            Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray();
        var x = new SsdDiscreteInputs<float>
        {
            X = F(s.XLength, -1, 1), A = F(s.DtLength, sp.Strong ? -70 : -1.5f, 0), B = F(s.BcLength, -1, 1),
            C = F(s.BcLength, -1, 1), InitialStates = sp.Init ? F(s.StateLength, -1, 1) : null,
        };
        var dy = F(s.XLength, -1, 1);
        var dF = F(s.StateLength, -1, 1);
        var want = SsdDiscreteGradients<float>.Allocate(x);
        var got = SsdDiscreteGradients<float>.Allocate(x);
        K.Reference.BackwardDiscrete(s, x, dy, dF, want);
        K.Cpu.BackwardDiscrete(s, sp.Options(SsdAlgorithm.Auto), x, dy, dF, got);
        Close($"dX {sp}", want.X, got.X);
        Close($"dA {sp}", want.A, got.A, rtol: sp.Strong ? 3e-3 : 5e-4);
        Close($"dB {sp}", want.B, got.B);
        Close($"dC {sp}", want.C, got.C);
        if (want.InitialStates is not null) Close($"dh0 {sp}", want.InitialStates, got.InitialStates!);
    });

    [Fact]
    public void Threads_DoNotChangeResults()
    {
        var sp = new SsdSpec(1, 70, 2, 1, 24, 17, 16, 1, true, true, true, false, true, false, 5);
        var x = sp.Inputs();
        var y1 = new float[sp.Shape.XLength];
        var y4 = new float[sp.Shape.XLength];
        K.Cpu.Forward(sp.Shape, sp.Options(SsdAlgorithm.Recurrent) with { Threads = 1 }, x, y1, null);
        K.Cpu.Forward(sp.Shape, sp.Options(SsdAlgorithm.Recurrent) with { Threads = 4 }, x, y4, null);
        Assert.Equal(y1, y4);
    }
}
