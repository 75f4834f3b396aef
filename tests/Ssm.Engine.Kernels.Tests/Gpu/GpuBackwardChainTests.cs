using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Norm;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>A small block chained on device-resident views through every conv/norm Gpu kernel, forward then
/// backward: u = conv(x) (SiLU, bias, initial state), v = gatedRmsNorm(u, z) (Mamba-2 order, groups),
/// y = rmsNorm(v, residual x) (bias), plus a circular decode update. Two runs give bit-identical gradients, and the
/// chain agrees with the same chain on the Cpu kernels.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class GpuBackwardChainTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    private const int B = 2, D = 3, L = 8, K = 4, S = 5;
    private static readonly CausalConv1dShape Conv = new(B, D, L, K);
    private static readonly CausalConv1dUpdateShape Update = new(B, D, 3, K, S);
    private static readonly RmsNormShape Gated = new(B * D, L, 4), Plain = new(B * D, L);
    private static readonly CausalConv1dOptions Silu = new(true);
    private static readonly RmsNormOptions GateFirst = new(1e-5, NormBeforeGate: false), NoGate = new(1e-5);

    private sealed record Inputs(float[] X, float[] Wc, float[] Bc, float[] Init, float[] Z, float[] Wg, float[] Wn,
        float[] Bn, float[] Dy, float[] Xu, float[] State, int[] Seqlens, float[] Dyu, float[] DState);

    private static Inputs MakeInputs()
    {
        int n = B * D * L, nu = B * D * Update.Length, m = B * D * S;
        return new(Close.Random(1, n), Close.Random(2, D * K), Close.Random(3, D), Close.Random(4, B * D * (K - 1)),
            Close.Random(5, n, -3f, 3f), Close.Random(6, L, 0.5f, 1.5f), Close.Random(7, L, 0.5f, 1.5f),
            Close.Random(8, L), Close.Random(9, n), Close.Random(10, nu), Close.Random(11, m), [3, 7],
            Close.Random(12, nu), Close.Random(13, m));
    }

    /// <summary>Every gradient of the chain, in a fixed order.</summary>
    private static float[][] RunGpu(GpuDevice g, Inputs a)
    {
        int n = B * D * L;
        var owned = new List<MemoryBuffer1D<float, Stride1D.Dense>>();
        ArrayView<float> Up(float[] data) { var b = g.Upload(data); owned.Add(b); return b.View; }
        ArrayView<float> New(int length) { var b = g.Allocate(length); owned.Add(b); return b.View; }
        try
        {
            ArrayView<float> x = Up(a.X), wc = Up(a.Wc), bc = Up(a.Bc), init = Up(a.Init), z = Up(a.Z);
            ArrayView<float> wg = Up(a.Wg), wn = Up(a.Wn), bn = Up(a.Bn), dy = Up(a.Dy);
            ArrayView<float> u = New(n), v = New(n), y = New(n), ro = New(n);
            CausalConv1d.Gpu.Forward(g, Conv, x, wc, bc, init, u, default, Silu);
            RmsNorm.Gpu.Forward(g, Gated, u, default, z, wg, default, v, default, GateFirst);
            RmsNorm.Gpu.Forward(g, Plain, v, x, default, wn, bn, y, ro, NoGate);

            ArrayView<float> dv = New(n), dres = New(n), dwn = New(L), dbn = New(L);
            RmsNorm.Gpu.Backward(g, Plain, v, x, default, wn, bn, dy, default, dv, dres, default, dwn, dbn, NoGate);
            ArrayView<float> du = New(n), dz = New(n), dwg = New(L);
            RmsNorm.Gpu.Backward(g, Gated, u, default, z, wg, default, dv, default, du, default, dz, dwg, default,
                GateFirst);
            ArrayView<float> dxc = New(n), dwc = New(D * K), dbc = New(D), dinit = New(B * D * (K - 1));
            CausalConv1d.Gpu.Backward(g, Conv, x, wc, bc, init, du, default, dxc, dwc, dbc, dinit, Silu);

            ArrayView<float> xu = Up(a.Xu), st = Up(a.State), dyu = Up(a.Dyu), dst = Up(a.DState);
            using var seq = g.Accelerator.Allocate1D(a.Seqlens);
            ArrayView<float> dxu = New(a.Xu.Length), dsu = New(a.State.Length), dwu = New(D * K), dbu = New(D);
            CausalConv1d.Gpu.StepBackward(g, Update, xu, st, wc, bc, seq.View, dyu, dst, dxu, dsu, dwu, dbu, Silu);

            return [Down(g, y), Down(g, dxc), Down(g, dres), Down(g, dwn), Down(g, dbn), Down(g, dz), Down(g, dwg),
                Down(g, dwc), Down(g, dbc), Down(g, dinit), Down(g, dxu), Down(g, dsu), Down(g, dwu), Down(g, dbu)];
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }

    /// <summary>The same chain on the Cpu kernels.</summary>
    private static float[][] RunCpu(Inputs a)
    {
        int n = B * D * L;
        float[] u = new float[n], v = new float[n], y = new float[n], ro = new float[n];
        CausalConv1d.Cpu.Forward(Conv, a.X, a.Wc, a.Bc, a.Init, u, [], Silu);
        RmsNorm.Cpu.Forward(Gated, u, [], a.Z, a.Wg, [], v, [], GateFirst);
        RmsNorm.Cpu.Forward(Plain, v, a.X, [], a.Wn, a.Bn, y, ro, NoGate);
        float[] dv = new float[n], dres = new float[n], dwn = new float[L], dbn = new float[L];
        RmsNorm.Cpu.Backward(Plain, v, a.X, [], a.Wn, a.Bn, a.Dy, [], dv, dres, [], dwn, dbn, NoGate);
        float[] du = new float[n], dz = new float[n], dwg = new float[L];
        RmsNorm.Cpu.Backward(Gated, u, [], a.Z, a.Wg, [], dv, [], du, [], dz, dwg, [], GateFirst);
        float[] dxc = new float[n], dwc = new float[D * K], dbc = new float[D], dinit = new float[B * D * (K - 1)];
        CausalConv1d.Cpu.Backward(Conv, a.X, a.Wc, a.Bc, a.Init, du, [], dxc, dwc, dbc, dinit, Silu);
        float[] dxu = new float[a.Xu.Length], dsu = new float[a.State.Length], dwu = new float[D * K];
        float[] dbu = new float[D];
        CausalConv1d.Cpu.StepBackward(Update, a.Xu, a.State, a.Wc, a.Bc, a.Seqlens, a.Dyu, a.DState, dxu, dsu, dwu,
            dbu, Silu);
        return [y, dxc, dres, dwn, dbn, dz, dwg, dwc, dbc, dinit, dxu, dsu, dwu, dbu];
    }

    private static float[] Down(GpuDevice g, ArrayView<float> view)
    {
        var host = new float[view.Length];
        g.Download(view, host);
        return host;
    }

    [Theory, MemberData(nameof(Kinds))]
    public void WholeBackward_IsBitIdenticalAcrossTwoRuns_AndMatchesTheCpuChain(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        Inputs inputs = MakeInputs();
        float[][] first = RunGpu(device, inputs), second = RunGpu(device, inputs), cpu = RunCpu(inputs);
        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Equal(first[i].Length, second[i].Length);
            for (int j = 0; j < first[i].Length; j++)
                Assert.True(BitConverter.SingleToInt32Bits(first[i][j]) == BitConverter.SingleToInt32Bits(second[i][j]),
                    $"{kind}: output {i} element {j}: {first[i][j]:R} then {second[i][j]:R}");
            Close.Assert(first[i], cpu[i], 1e-5, 2e-4, $"{kind}: output {i}");
        }
    }
}
