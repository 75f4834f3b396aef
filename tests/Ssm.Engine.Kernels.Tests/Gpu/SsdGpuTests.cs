using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Ssd;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>The ILGPU SSD (full op and pre-discretised form, recurrent and chunked forward) against the Cpu path on
/// both CPU accelerators, within the golden tolerances, and its backward's reproducibility (bit-identical repeat
/// runs). Shapes stay tiny for the simulator.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class SsdGpuTests(IlgpuCpuDevices devices)
{
    private const double OutAtol = 1e-5, OutRtol = 1e-4, GradAtol = 1e-5, GradRtol = 2e-4;

    public static TheoryData<GpuDeviceKind, bool> Cases()
    {
        var data = new TheoryData<GpuDeviceKind, bool>();
        foreach (var kind in IlgpuCpuDevices.Kinds)
        {
            data.Add(kind, true);
            data.Add(kind, false);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Ssd_MatchesCpu_ForwardAndBackward(GpuDeviceKind kind, bool extras)
    {
        var device = devices.Get(kind);
        // L = 7 is not a multiple of the checkpoint stride (3); G = 2 groups of 2 heads.
        var s = new SsdShape(2, 7, 4, 3, 2, 5);
        var o = new SsdOptions { DtSoftplus = extras, DtMin = 0.01f, DtMax = extras ? 0.9f : float.PositiveInfinity };
        var x = Inputs(s, extras, seed: extras ? 1 : 2);
        float[] dy = Close.Random(40, s.XLength), dFinal = Close.Random(41, s.StateLength);

        var yCpu = new float[s.XLength];
        var fCpu = new float[s.StateLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Forward(s, o, x, yCpu, fCpu);
        // Chunk sizes: one token, 3 (the last chunk is partial), and one chunk longer than L.
        foreach (var (alg, q) in new[]
                 {
                     (SsdAlgorithm.Recurrent, 256), (SsdAlgorithm.Chunked, 1), (SsdAlgorithm.Chunked, 3),
                     (SsdAlgorithm.Chunked, 256),
                 })
        {
            var y = new float[s.XLength];
            var f = new float[s.StateLength];
            Ssm.Engine.Kernels.Ssd.Ssd.Gpu.Forward(device, s, o with { Algorithm = alg, ChunkSize = q }, x, y, f);
            Close.Assert(y, yCpu, OutAtol, OutRtol, $"y ({alg}, Q = {q})");
            Close.Assert(f, fCpu, OutAtol, OutRtol, $"final_states ({alg}, Q = {q})");
        }

        var want = SsdGradients<float>.Allocate(x);
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Backward(s, o, x, dy, dFinal, want);
        var got = SsdGradients<float>.Allocate(x);
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.Backward(device, s, o, x, dy, dFinal, got);
        foreach (var (name, g, w) in Pairs(got, want)) Close.Assert(g, w, GradAtol, GradRtol, "grad." + name);
        var again = SsdGradients<float>.Allocate(x);
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.Backward(device, s, o, x, dy, dFinal, again);
        foreach (var (name, g, r) in Pairs(got, again)) Assert.True(g.AsSpan().SequenceEqual(r), "repeat grad." + name);
    }

    // (B, L, H, P, G, N): L = 70 spans three 32-token tiles (the last partial) with N = 37 > 32 lanes and 9 rows; L = 1
    // with N = 6 (lanes padded to 8) and odd P.
    public static TheoryData<GpuDeviceKind, int[]> AwkwardShapes()
    {
        var data = new TheoryData<GpuDeviceKind, int[]>();
        foreach (var kind in IlgpuCpuDevices.Kinds)
        {
            data.Add(kind, [1, 70, 3, 3, 1, 37]);
            data.Add(kind, [2, 1, 2, 5, 2, 6]);
        }
        return data;
    }

    [Theory, MemberData(nameof(AwkwardShapes))]
    public void SsdRecurrentForward_MatchesCpu_AtAwkwardSizes(GpuDeviceKind kind, int[] size)
    {
        var device = devices.Get(kind);
        var s = new SsdShape(size[0], size[1], size[2], size[3], size[4], size[5]);
        var o = new SsdOptions { DtSoftplus = true, Algorithm = SsdAlgorithm.Recurrent };
        var x = Inputs(s, extras: true, seed: size[5]);
        var yCpu = new float[s.XLength];
        var fCpu = new float[s.StateLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.Forward(s, o, x, yCpu, fCpu);
        var y = new float[s.XLength];
        var f = new float[s.StateLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.Forward(device, s, o, x, y, f);
        Close.Assert(y, yCpu, OutAtol, OutRtol, "y");
        Close.Assert(f, fCpu, OutAtol, OutRtol, "final_states");
    }

    [Theory, MemberData(nameof(Kinds))]
    public void SsdDiscrete_MatchesCpu_AndBackwardIsBitIdentical(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        var s = new SsdShape(1, 6, 2, 4, 2, 3);
        var x = new SsdDiscreteInputs<float>
        {
            X = Close.Random(50, s.XLength), A = Close.Random(51, s.DtLength, -1f, -0.05f),
            B = Close.Random(52, s.BcLength), C = Close.Random(53, s.BcLength),
            InitialStates = Close.Random(54, s.StateLength),
        };
        var o = SsdOptions.Default;
        var yCpu = new float[s.XLength];
        var fCpu = new float[s.StateLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.ForwardDiscrete(s, o, x, yCpu, fCpu);
        var y = new float[s.XLength];
        var f = new float[s.StateLength];
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.ForwardDiscrete(device, s, o, x, y, f);
        Close.Assert(y, yCpu, OutAtol, OutRtol, "y");
        Close.Assert(f, fCpu, OutAtol, OutRtol, "final_states");
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.ForwardDiscrete(device, s, o with { Algorithm = SsdAlgorithm.Chunked,
            ChunkSize = 4 }, x, y, f);
        Close.Assert(y, yCpu, OutAtol, OutRtol, "y (chunked)");
        Close.Assert(f, fCpu, OutAtol, OutRtol, "final_states (chunked)");

        float[] dy = Close.Random(55, s.XLength);
        var want = SsdDiscreteGradients<float>.Allocate(x);
        Ssm.Engine.Kernels.Ssd.Ssd.Cpu.BackwardDiscrete(s, o, x, dy, null, want);
        var got = SsdDiscreteGradients<float>.Allocate(x);
        var again = SsdDiscreteGradients<float>.Allocate(x);
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.BackwardDiscrete(device, s, o, x, dy, null, got);
        Ssm.Engine.Kernels.Ssd.Ssd.Gpu.BackwardDiscrete(device, s, o, x, dy, null, again);
        foreach (var (name, g, w, r) in new[]
                 {
                     ("X", got.X, want.X, again.X), ("A", got.A, want.A, again.A), ("B", got.B, want.B, again.B),
                     ("C", got.C, want.C, again.C),
                     ("initial_states", got.InitialStates!, want.InitialStates!, again.InitialStates!),
                 })
        {
            Close.Assert(g, w, GradAtol, GradRtol, "grad." + name);
            Assert.True(g.AsSpan().SequenceEqual(r), "repeat grad." + name);
        }
    }

    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    private static SsdInputs<float> Inputs(SsdShape s, bool extras, int seed) => new()
    {
        X = Close.Random(seed, s.XLength), Dt = Close.Random(seed + 1, s.DtLength, -1f, 1f),
        A = Close.Random(seed + 2, s.H, -2f, -0.2f), B = Close.Random(seed + 3, s.BcLength),
        C = Close.Random(seed + 4, s.BcLength),
        D = Close.Random(seed + 5, extras ? s.H * s.P : s.H), Z = extras ? Close.Random(seed + 6, s.XLength) : null,
        DtBias = extras ? Close.Random(seed + 7, s.H, -0.5f, 0.5f) : null,
        InitialStates = extras ? Close.Random(seed + 8, s.StateLength) : null,
    };

    private static IEnumerable<(string, float[], float[])> Pairs(SsdGradients<float> a, SsdGradients<float> b)
    {
        yield return ("x", a.X, b.X);
        yield return ("dt", a.Dt, b.Dt);
        yield return ("A", a.A, b.A);
        yield return ("B", a.B, b.B);
        yield return ("C", a.C, b.C);
        if (a.D is not null) yield return ("D", a.D, b.D!);
        if (a.Z is not null) yield return ("z", a.Z, b.Z!);
        if (a.DtBias is not null) yield return ("dt_bias", a.DtBias, b.DtBias!);
        if (a.InitialStates is not null) yield return ("initial_states", a.InitialStates, b.InitialStates!);
    }
}
