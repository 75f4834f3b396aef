using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>The ILGPU selective scan and decode step against the Cpu path, on both CPU accelerators, within the
/// golden tolerances (out: atol 1e-5, rtol 1e-4; grad: atol 1e-5, rtol 2e-4). Shapes stay tiny: the simulator
/// runs each thread as .NET code.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class ScanGpuTests(IlgpuCpuDevices devices)
{
    private const double OutAtol = 1e-5, OutRtol = 1e-4, GradAtol = 1e-5, GradRtol = 2e-4;

    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    // (variable B/C, groups, D/z/bias, softplus, h0, reverse): one time-invariant and one grouped variable case.
    public static TheoryData<GpuDeviceKind, bool, int, bool, bool> ScanCases()
    {
        var data = new TheoryData<GpuDeviceKind, bool, int, bool, bool>();
        foreach (var kind in IlgpuCpuDevices.Kinds)
        {
            data.Add(kind, true, 2, true, false);
            data.Add(kind, false, 1, false, true);
        }
        return data;
    }

    [Theory, MemberData(nameof(ScanCases))]
    public void SelectiveScan_MatchesCpu_ForwardAndBackward(GpuDeviceKind kind, bool variable, int groups,
        bool extras, bool reverse)
    {
        var device = devices.Get(kind);
        // L = 11 is not a multiple of the backward's checkpoint stride (4).
        var s = new SelectiveScanShape(2, 4, 11, 5, groups, variable, variable);
        var o = new SelectiveScanOptions(DeltaSoftplus: extras, Reverse: reverse, Threads: 1);
        var x = ScanInputs(s, extras, seed: 100 + groups);
        float[] dy = Close.Random(7, x.U.Length), dLast = Close.Random(8, s.Batch * s.Dim * s.State);

        var yCpu = new float[x.U.Length];
        var lastCpu = new float[dLast.Length];
        SelectiveScan.Cpu.Forward(s, o, x, yCpu, lastCpu);
        var y = new float[x.U.Length];
        var last = new float[dLast.Length];
        SelectiveScan.Gpu.Forward(device, s, o, x, y, last);
        Close.Assert(y, yCpu, OutAtol, OutRtol, "y");
        Close.Assert(last, lastCpu, OutAtol, OutRtol, "last_state");

        var want = SelectiveScan.Cpu.Backward(s, o, x, dy, dLast);
        var got = SelectiveScan.Gpu.Backward(device, s, o, x, dy, dLast);
        foreach (var (name, g, w) in Pairs(got, want)) Close.Assert(g, w, GradAtol, GradRtol, "grad." + name);
    }

    // (B, D, L, N, variable B, variable C, extras, reverse): L = 1; N = 6 (lanes padded to 8); N = 37 and 70 (more
    // states than lanes: 2-5 per lane, the extra ones in shared memory); odd B·D (last group part-filled); L = 70
    // and 45 (several tiles, the last one partial); mixed time-invariant/variable B and C; D = 8 with N = 16, whose
    // groups of rows share one staged copy of B/C on the 32-wide device (4 rows of 16 lanes).
    public static TheoryData<GpuDeviceKind, int[], bool[]> AwkwardShapes()
    {
        var data = new TheoryData<GpuDeviceKind, int[], bool[]>();
        foreach (var kind in IlgpuCpuDevices.Kinds)
        {
            data.Add(kind, [1, 3, 1, 6], [true, true, true, false]);
            data.Add(kind, [2, 5, 70, 6], [true, true, false, true]);
            data.Add(kind, [1, 7, 45, 37], [false, true, true, false]);
            data.Add(kind, [3, 1, 9, 70], [true, false, false, true]);
            data.Add(kind, [2, 8, 40, 16], [true, true, true, true]);
        }
        return data;
    }

    [Theory, MemberData(nameof(AwkwardShapes))]
    public void SelectiveScan_MatchesCpu_AtAwkwardSizes(GpuDeviceKind kind, int[] size, bool[] flags)
    {
        var device = devices.Get(kind);
        var s = new SelectiveScanShape(size[0], size[1], size[2], size[3], 1, flags[0], flags[1]);
        var o = new SelectiveScanOptions(DeltaSoftplus: flags[2], Reverse: flags[3], Threads: 1);
        var x = ScanInputs(s, flags[2], seed: 31 * size[3] + size[2]);
        int bdn = s.Batch * s.Dim * s.State;
        var yCpu = new float[x.U.Length];
        var lastCpu = new float[bdn];
        SelectiveScan.Cpu.Forward(s, o, x, yCpu, lastCpu);
        var y = new float[x.U.Length];
        var last = new float[bdn];
        SelectiveScan.Gpu.Forward(device, s, o, x, y, last);
        Close.Assert(y, yCpu, OutAtol, OutRtol, "y");
        Close.Assert(last, lastCpu, OutAtol, OutRtol, "last_state");

        float[] dy = Close.Random(size[2], x.U.Length), dLast = Close.Random(size[3], bdn);
        var want = SelectiveScan.Cpu.Backward(s, o, x, dy, flags[3] ? dLast : null);
        var got = SelectiveScan.Gpu.Backward(device, s, o, x, dy, flags[3] ? dLast : null);
        foreach (var (name, g, w) in Pairs(got, want)) Close.Assert(g, w, GradAtol, GradRtol, "grad." + name);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void SelectiveScanBackward_IsBitIdentical_AcrossRuns(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        var s = new SelectiveScanShape(2, 4, 6, 3, 2, true, true);
        var o = new SelectiveScanOptions(DeltaSoftplus: true);
        var x = ScanInputs(s, extras: true, seed: 5);
        float[] dy = Close.Random(9, x.U.Length);
        var first = SelectiveScan.Gpu.Backward(device, s, o, x, dy, null);
        var second = SelectiveScan.Gpu.Backward(device, s, o, x, dy, null);
        foreach (var (name, a, b) in Pairs(first, second)) Assert.True(a.AsSpan().SequenceEqual(b), name);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void SelectiveStateUpdate_MatchesCpu_InBothForms(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        foreach (var (s, extras) in new[]
                 {
                     (SelectiveStateUpdateShape.Mamba1(2, 5, 3), false),
                     (new SelectiveStateUpdateShape(2, 4, 3, 5, 2), true),
                     // N = 37: more states than lanes; 9 rows: the last group is part-filled.
                     (new SelectiveStateUpdateShape(1, 3, 3, 37, 1), true),
                     (SelectiveStateUpdateShape.Mamba1(1, 7, 37), false),
                 })
        {
            var o = new SelectiveStateUpdateOptions(DtSoftplus: extras, Threads: 1);
            var x = StepInputs(s, extras, seed: s.Heads);
            var yCpu = new float[x.X.Length];
            var stCpu = new float[x.State.Length];
            SelectiveStateUpdate.Cpu.Step(s, o, x, yCpu, stCpu);
            var y = new float[x.X.Length];
            var st = new float[x.State.Length];
            SelectiveStateUpdate.Gpu.Step(device, s, o, x, y, st);
            Close.Assert(y, yCpu, OutAtol, OutRtol, "y");
            Close.Assert(st, stCpu, OutAtol, OutRtol, "state");

            float[] dy = Close.Random(3, y.Length), dSt = Close.Random(4, st.Length);
            var want = SelectiveStateUpdate.Cpu.Backward(s, o, x, dy, dSt);
            var got = SelectiveStateUpdate.Gpu.Backward(device, s, o, x, dy, dSt);
            var second = SelectiveStateUpdate.Gpu.Backward(device, s, o, x, dy, dSt);
            foreach (var (name, g, w, again) in Pairs(got, want, second))
            {
                Close.Assert(g, w, GradAtol, GradRtol, "grad." + name);
                Assert.True(g.AsSpan().SequenceEqual(again), "repeat grad." + name);
            }
        }
    }

    internal static SelectiveScanInputs<float> ScanInputs(in SelectiveScanShape s, bool extras, int seed)
    {
        int bdl = s.Batch * s.Dim * s.Length;
        return new SelectiveScanInputs<float>
        {
            U = Close.Random(seed, bdl), Delta = Close.Random(seed + 1, bdl, 0.05f, 0.6f),
            A = Close.Random(seed + 2, s.Dim * s.State, -2f, -0.2f),
            B = Close.Random(seed + 3, (int)s.BLength), C = Close.Random(seed + 4, (int)s.CLength),
            D = extras ? Close.Random(seed + 5, s.Dim) : null, Z = extras ? Close.Random(seed + 6, bdl, -2f, 2f) : null,
            DeltaBias = extras ? Close.Random(seed + 7, s.Dim, -0.5f, 0.3f) : null,
            H0 = extras ? null : Close.Random(seed + 8, s.Batch * s.Dim * s.State),
        };
    }

    private static SelectiveStateUpdateInputs<float> StepInputs(in SelectiveStateUpdateShape s, bool extras,
        int seed)
    {
        int bhp = s.Batch * s.Heads * s.HeadDim, hp = s.Heads * s.HeadDim, bgn = s.Batch * s.Groups * s.State;
        return new SelectiveStateUpdateInputs<float>
        {
            State = Close.Random(seed, bhp * s.State), X = Close.Random(seed + 1, bhp),
            Dt = Close.Random(seed + 2, bhp, 0.05f, 0.6f), A = Close.Random(seed + 3, hp * s.State, -2f, -0.2f),
            B = Close.Random(seed + 4, bgn), C = Close.Random(seed + 5, bgn),
            D = extras ? Close.Random(seed + 6, hp) : null, Z = extras ? Close.Random(seed + 7, bhp, -2f, 2f) : null,
            DtBias = extras ? Close.Random(seed + 8, hp, -0.5f, 0.3f) : null,
        };
    }

    private static IEnumerable<(string, float[], float[])> Pairs(SelectiveScanGrads<float> a,
        SelectiveScanGrads<float> b)
    {
        yield return ("u", a.U, b.U);
        yield return ("delta", a.Delta, b.Delta);
        yield return ("A", a.A, b.A);
        yield return ("B", a.B, b.B);
        yield return ("C", a.C, b.C);
        if (a.D is not null) yield return ("D", a.D, b.D!);
        if (a.Z is not null) yield return ("z", a.Z, b.Z!);
        if (a.DeltaBias is not null) yield return ("delta_bias", a.DeltaBias, b.DeltaBias!);
        if (a.H0 is not null) yield return ("h0", a.H0, b.H0!);
    }

    private static IEnumerable<(string, float[], float[], float[])> Pairs(SelectiveStateUpdateGrads<float> a,
        SelectiveStateUpdateGrads<float> b, SelectiveStateUpdateGrads<float> c)
    {
        yield return ("state", a.State, b.State, c.State);
        yield return ("x", a.X, b.X, c.X);
        yield return ("dt", a.Dt, b.Dt, c.Dt);
        yield return ("A", a.A, b.A, c.A);
        yield return ("B", a.B, b.B, c.B);
        yield return ("C", a.C, b.C, c.C);
        if (a.D is not null) yield return ("D", a.D, b.D!, c.D!);
        if (a.Z is not null) yield return ("z", a.Z, b.Z!, c.Z!);
        if (a.DtBias is not null) yield return ("dt_bias", a.DtBias, b.DtBias!, c.DtBias!);
    }
}
