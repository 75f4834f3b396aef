using BenchmarkDotNet.Attributes;
using Ssm.Engine.Kernels.Ssd;

namespace Ssm.Engine.Bench.Kernels.Ssd;

/// <summary>Mamba-2 SSD on the CPU at the M2 shape (B 1, H 24, P 64, N 128, G 1): forward per algorithm and chunk
/// size, and the backward. Inputs follow the C peer (dt in [0.01, 0.1], no softplus, no D / z).
/// <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- --filter '*SsdBench*'</c></summary>
[MemoryDiagnoser]
public class SsdBench
{
    /// <summary>The variant timed.</summary>
    public enum Variant
    {
        /// <summary>Token-by-token recurrence (what Auto picks on a CPU).</summary>
        Recurrent,
        /// <summary>Chunked matrix form with chunk size <see cref="Chunk"/>.</summary>
        Chunked,
        /// <summary>Backward of every input.</summary>
        Backward,
    }

    /// <summary>Sequence length.</summary>
    [Params(512, 2048)]
    public int L { get; set; }

    /// <summary>Chunk size Q of the chunked variant.</summary>
    [Params(64, 256)]
    public int Chunk { get; set; }

    /// <summary>Variant.</summary>
    [ParamsAllValues]
    public Variant V { get; set; }

    /// <summary>Worker threads.</summary>
    [Params(2)]
    public int Threads { get; set; }

    private SsdShape _s;
    private SsdInputs<float> _x = null!;
    private float[] _y = [], _final = [], _dy = [], _dFinal = [];
    private SsdGradients<float> _g = null!;

    /// <summary>Validates the variant against the Reference on a small shape, then allocates the timed
    /// inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Validate();
        _s = new SsdShape(1, L, 24, 64, 1, 128);
        _x = Inputs(_s, new Random(1), full: false);
        _y = new float[_s.XLength];
        _final = new float[_s.StateLength];
        var rng = new Random(2);
        _dy = Fill(rng, _s.XLength, -1, 1);
        _dFinal = Fill(rng, _s.StateLength, -1, 1);
        _g = SsdGradients<float>.Allocate(_x);
    }

    private SsdOptions Options => new()
    {
        Algorithm = V == Variant.Chunked ? SsdAlgorithm.Chunked : SsdAlgorithm.Recurrent,
        ChunkSize = Chunk, Threads = Threads,
    };

    /// <summary>One forward or backward call.</summary>
    [Benchmark]
    public void Run()
    {
        if (V == Variant.Backward) Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Backward(_s, Options, _x, _dy, _dFinal, _g);
        else Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Forward(_s, Options, _x, _y, _final);
    }

    private void Validate()
    {
        var s = new SsdShape(2, 37, 4, 20, 2, 19);
        var x = Inputs(s, new Random(3), full: true);
        var o = Options with { DtSoftplus = true, ChunkSize = Math.Min(Chunk, 16) };
        var rng = new Random(4);
        float[] dy = Fill(rng, s.XLength, -1, 1), dF = Fill(rng, s.StateLength, -1, 1);
        if (V == Variant.Backward)
        {
            var want = SsdGradients<float>.Allocate(x);
            var got = SsdGradients<float>.Allocate(x);
            Ssm.Engine.Kernels.Ssd.Ssd.Reference.Backward(s, o, x, dy, dF, want);
            Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Backward(s, o, x, dy, dF, got);
            Same("grad.x", want.X, got.X);
            Same("grad.dt", want.Dt, got.Dt);
            Same("grad.B", want.B, got.B);
            Same("grad.C", want.C, got.C);
            return;
        }
        float[] y0 = new float[s.XLength], y1 = new float[s.XLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Reference.Forward(s, o, x, y0, null);
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Forward(s, o, x, y1, null);
        Same("y", y0, y1);
    }

    private static void Same(string name, float[] want, float[] got)
    {
        double diff = 0, max = 0;
        for (int i = 0; i < want.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(want[i] - got[i]));
            max = Math.Max(max, Math.Abs(want[i]));
        }
        if (diff > 1e-5 + 2e-4 * max)
            throw new InvalidOperationException($"[ssd] {name} differs from the Reference: {diff:g3} (max {max:g3})");
    }

    private static SsdInputs<float> Inputs(SsdShape s, Random rng, bool full) => new()
    {
        X = Fill(rng, s.XLength, -1, 1), Dt = full ? Fill(rng, s.DtLength, -3, 0) : Fill(rng, s.DtLength, 0.01f, 0.1f),
        A = Fill(rng, s.H, -2, -0.5f), B = Fill(rng, s.BcLength, -1, 1), C = Fill(rng, s.BcLength, -1, 1),
        D = full ? Fill(rng, s.H, -1, 1) : null, Z = full ? Fill(rng, s.XLength, -2, 2) : null,
        DtBias = full ? Fill(rng, s.H, -1, 1) : null, InitialStates = full ? Fill(rng, s.StateLength, -1, 1) : null,
    };

    private static float[] Fill(Random rng, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }
}
