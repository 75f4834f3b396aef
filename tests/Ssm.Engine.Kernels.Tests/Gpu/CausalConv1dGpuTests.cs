using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>CausalConv1d.Gpu on both CPU accelerators against the Cpu path, within the golden op tolerances
/// (out: atol 1e-5, rtol 1e-4; grad: atol 1e-5, rtol 2e-4).</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class CausalConv1dGpuTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    /// <summary>(B, D, L, K, bias, silu, initial states, final states / their cotangent).</summary>
    private static readonly (int B, int D, int L, int K, bool Bias, bool Silu, bool Init, bool Final)[] ConvCases =
    [
        (2, 3, 9, 4, false, false, false, false),
        (2, 3, 9, 4, true, true, true, true),
        (1, 2, 2, 4, true, false, true, true), // L < K-1: the final state still holds initial values
        (2, 2, 5, 1, true, true, false, false), // K = 1: no state at all
    ];

    [Theory, MemberData(nameof(Kinds))]
    public void ForwardAndBackward_MatchCpu_OnSmallShapes(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        int seed = 100;
        foreach (var c in ConvCases)
        {
            var s = new CausalConv1dShape(c.B, c.D, c.L, c.K);
            var o = new CausalConv1dOptions(c.Silu);
            int n = s.Rows * c.L, h = s.Rows * s.StateWidth;
            float[] x = Close.Random(seed++, n), w = Close.Random(seed++, c.D * c.K);
            float[] b = c.Bias ? Close.Random(seed++, c.D) : [], init = c.Init ? Close.Random(seed++, h) : [];
            int fl = c.Final ? h : 0;
            float[] y0 = new float[n], y1 = new float[n], f0 = new float[fl], f1 = new float[fl];
            CausalConv1d.Cpu.Forward(s, x, w, b, init, y0, f0, o);
            CausalConv1d.Gpu.Forward(device, s, x, w, b, init, y1, f1, o);
            string at = $"{kind} {c}";
            Close.Assert(y1, y0, 1e-5, 1e-4, $"{at} y");
            Close.Assert(f1, f0, 0, 0, $"{at} final_states");

            float[] dy = Close.Random(seed++, n), df = c.Final ? Close.Random(seed++, h) : [];
            var cpu = Grads(n, w.Length, b.Length, init.Length);
            var gpu = Grads(n, w.Length, b.Length, init.Length);
            CausalConv1d.Cpu.Backward(s, x, w, b, init, dy, df, cpu.Dx, cpu.Dw, cpu.Db, cpu.Dh, o);
            CausalConv1d.Gpu.Backward(device, s, x, w, b, init, dy, df, gpu.Dx, gpu.Dw, gpu.Db, gpu.Dh, o);
            AssertGrads(gpu, cpu, at);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void StepAndStepBackward_MatchCpu_LinearAndCircular(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        int seed = 200;
        // (L, S, cache_seqlens): one and several tokens, S = K-1 and S > K-1, circular with wrap-around and L > S.
        var cases = new (int L, int S, int[] Seqlens)[]
        {
            (1, 3, []), (3, 5, []), (5, 4, []), (1, 4, [2, 9]), (3, 5, [4, 12]), (6, 4, [1, 7]),
        };
        foreach (var (L, S, seqlens) in cases)
        foreach (bool silu in new[] { false, true })
        {
            var s = new CausalConv1dUpdateShape(2, 3, L, 4, S);
            var o = new CausalConv1dOptions(silu);
            int n = s.Rows * L, m = s.Rows * S;
            float[] x = Close.Random(seed++, n), st = Close.Random(seed++, m), w = Close.Random(seed++, 12);
            float[] b = silu ? Close.Random(seed++, 3) : [];
            float[] y0 = new float[n], y1 = new float[n], ns0 = new float[m], ns1 = new float[m];
            CausalConv1d.Cpu.Step(s, x, st, w, b, seqlens, y0, ns0, o);
            CausalConv1d.Gpu.Step(device, s, x, st, w, b, seqlens, y1, ns1, o);
            string at = $"{kind} L={L} S={S} circular={seqlens.Length > 0} silu={silu}";
            Close.Assert(y1, y0, 1e-5, 1e-4, $"{at} y");
            Close.Assert(ns1, ns0, 0, 0, $"{at} conv_state");

            float[] dy = Close.Random(seed++, n), dn = Close.Random(seed++, m);
            var cpu = Grads(n, w.Length, b.Length, m);
            var gpu = Grads(n, w.Length, b.Length, m);
            CausalConv1d.Cpu.StepBackward(s, x, st, w, b, seqlens, dy, dn, cpu.Dx, cpu.Dh, cpu.Dw, cpu.Db, o);
            CausalConv1d.Gpu.StepBackward(device, s, x, st, w, b, seqlens, dy, dn, gpu.Dx, gpu.Dh, gpu.Dw, gpu.Db,
                o);
            AssertGrads(gpu, cpu, at);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Backward_IsBitIdentical_AcrossRuns(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        var s = new CausalConv1dShape(3, 4, 11, 4);
        var o = new CausalConv1dOptions(true);
        int n = s.Rows * s.Length, h = s.Rows * s.StateWidth;
        float[] x = Close.Random(1, n), w = Close.Random(2, 16), b = Close.Random(3, 4), init = Close.Random(4, h);
        float[] dy = Close.Random(5, n), df = Close.Random(6, h);
        var first = Grads(n, 16, 4, h);
        var second = Grads(n, 16, 4, h);
        CausalConv1d.Gpu.Backward(device, s, x, w, b, init, dy, df, first.Dx, first.Dw, first.Db, first.Dh, o);
        CausalConv1d.Gpu.Backward(device, s, x, w, b, init, dy, df, second.Dx, second.Dw, second.Db, second.Dh, o);
        Assert.Equal(first.Dx, second.Dx);
        Assert.Equal(first.Dw, second.Dw);
        Assert.Equal(first.Db, second.Db);
        Assert.Equal(first.Dh, second.Dh);

        var u = new CausalConv1dUpdateShape(3, 4, 3, 4, 5);
        int m = s.Rows * 5, nu = s.Rows * 3;
        float[] xu = Close.Random(7, nu), st = Close.Random(8, m), dyu = Close.Random(9, nu), dn = Close.Random(10, m);
        int[] seq = [3, 6, 11];
        var a = Grads(nu, 16, 4, m);
        var c = Grads(nu, 16, 4, m);
        CausalConv1d.Gpu.StepBackward(device, u, xu, st, w, b, seq, dyu, dn, a.Dx, a.Dh, a.Dw, a.Db, o);
        CausalConv1d.Gpu.StepBackward(device, u, xu, st, w, b, seq, dyu, dn, c.Dx, c.Dh, c.Dw, c.Db, o);
        Assert.Equal(a.Dx, c.Dx);
        Assert.Equal(a.Dh, c.Dh);
        Assert.Equal(a.Dw, c.Dw);
        Assert.Equal(a.Db, c.Db);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Forward_Throws_WhenWeightHasTheWrongLength(GpuDeviceKind kind)
    {
        var s = new CausalConv1dShape(1, 2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => CausalConv1d.Gpu.Forward(devices.Get(kind), s, new float[6],
            new float[7], [], [], new float[6], [], default));
        Assert.StartsWith("[causal_conv1d] weight", e.Message);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void StepOnViews_Throws_WhenNewStateAliasesConvState(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        var s = new CausalConv1dUpdateShape(1, 2, 1, 4, 3);
        using var x = device.Upload(new float[2]);
        using var st = device.Upload(new float[6]);
        using var w = device.Upload(new float[8]);
        using var y = device.Allocate(2);
        var e = Assert.Throws<ArgumentException>(() => CausalConv1d.Gpu.Step(device, s, x.View, st.View, w.View,
            default, default, y.View, st.View, default));
        Assert.StartsWith("[causal_conv1d_update] new conv_state", e.Message);
    }

    private sealed record GradSet(float[] Dx, float[] Dw, float[] Db, float[] Dh);

    private static GradSet Grads(int n, int w, int b, int head) =>
        new(new float[n], new float[w], new float[b], new float[head]);

    private static void AssertGrads(GradSet got, GradSet want, string at)
    {
        Close.Assert(got.Dx, want.Dx, 1e-5, 2e-4, $"{at} dx");
        Close.Assert(got.Dw, want.Dw, 1e-5, 2e-4, $"{at} dweight");
        Close.Assert(got.Db, want.Db, 1e-5, 2e-4, $"{at} dbias");
        Close.Assert(got.Dh, want.Dh, 1e-5, 2e-4, $"{at} dstate");
    }
}
