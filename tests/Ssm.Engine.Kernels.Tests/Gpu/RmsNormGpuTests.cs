using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Norm;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>RmsNorm.Gpu on both CPU accelerators against the Cpu path, within the golden op tolerances.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class RmsNormGpuTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    /// <summary>(R, C, group size, residual, bias, z, norm_before_gate, residual_out cotangent).</summary>
    private static readonly (int R, int C, int G, bool Res, bool Bias, bool Z, bool Before, bool DResOut)[] Cases =
    [
        (3, 37, 0, false, false, false, true, false),
        (3, 20, 0, true, true, false, true, true),   // rmsnorm with residual (and residual_out)
        (2, 24, 0, false, false, true, true, false),  // gated, norm before gate
        (2, 24, 8, false, true, true, false, false),  // gated, Mamba-2 order, three groups
        (2, 70, 35, true, false, true, false, true),  // groups larger than the 16/64-thread work groups
    ];

    [Theory, MemberData(nameof(Kinds))]
    public void ForwardAndBackward_MatchCpu_AcrossOptions(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        int seed = 300;
        foreach (var c in Cases)
        {
            var s = new RmsNormShape(c.R, c.C, c.G);
            var o = new RmsNormOptions(1e-5, c.Before);
            int n = c.R * c.C;
            float[] x = Close.Random(seed++, n, -2f, 2f), w = Close.Random(seed++, c.C, 0.5f, 1.5f);
            float[] res = c.Res ? Close.Random(seed++, n) : [], b = c.Bias ? Close.Random(seed++, c.C) : [];
            float[] z = c.Z ? Close.Random(seed++, n, -3f, 3f) : [];
            int ro = c.Res ? n : 0;
            float[] y0 = new float[n], y1 = new float[n], ro0 = new float[ro], ro1 = new float[ro];
            RmsNorm.Cpu.Forward(s, x, res, z, w, b, y0, ro0, o);
            RmsNorm.Gpu.Forward(device, s, x, res, z, w, b, y1, ro1, o);
            string at = $"{kind} {c}";
            Close.Assert(y1, y0, 1e-5, 1e-4, $"{at} y");
            Close.Assert(ro1, ro0, 0, 0, $"{at} residual_out");

            float[] dy = Close.Random(seed++, n), dro = c.DResOut ? Close.Random(seed++, n) : [];
            var cpu = Grads(n, res.Length, z.Length, c.C, b.Length);
            var gpu = Grads(n, res.Length, z.Length, c.C, b.Length);
            RmsNorm.Cpu.Backward(s, x, res, z, w, b, dy, dro, cpu.Dx, cpu.Dres, cpu.Dz, cpu.Dw, cpu.Db, o);
            RmsNorm.Gpu.Backward(device, s, x, res, z, w, b, dy, dro, gpu.Dx, gpu.Dres, gpu.Dz, gpu.Dw, gpu.Db, o);
            Close.Assert(gpu.Dx, cpu.Dx, 1e-5, 2e-4, $"{at} dx");
            Close.Assert(gpu.Dres, cpu.Dres, 1e-5, 2e-4, $"{at} dresidual");
            Close.Assert(gpu.Dz, cpu.Dz, 1e-5, 2e-4, $"{at} dz");
            Close.Assert(gpu.Dw, cpu.Dw, 1e-5, 2e-4, $"{at} dweight");
            Close.Assert(gpu.Db, cpu.Db, 1e-5, 2e-4, $"{at} dbias");
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Backward_IsBitIdentical_AcrossRuns(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        var s = new RmsNormShape(5, 48, 16);
        var o = new RmsNormOptions(1e-5, NormBeforeGate: false);
        float[] x = Close.Random(1, 240), z = Close.Random(2, 240), w = Close.Random(3, 48), b = Close.Random(4, 48);
        float[] dy = Close.Random(5, 240);
        var a = Grads(240, 0, 240, 48, 48);
        var c = Grads(240, 0, 240, 48, 48);
        RmsNorm.Gpu.Backward(device, s, x, [], z, w, b, dy, [], a.Dx, a.Dres, a.Dz, a.Dw, a.Db, o);
        RmsNorm.Gpu.Backward(device, s, x, [], z, w, b, dy, [], c.Dx, c.Dres, c.Dz, c.Dw, c.Db, o);
        Assert.Equal(a.Dx, c.Dx);
        Assert.Equal(a.Dz, c.Dz);
        Assert.Equal(a.Dw, c.Dw);
        Assert.Equal(a.Db, c.Db);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Forward_Throws_WhenGroupSizeDoesNotDivideChannels(GpuDeviceKind kind)
    {
        var e = Assert.Throws<ArgumentException>(() => RmsNorm.Gpu.Forward(devices.Get(kind),
            new RmsNormShape(1, 10, 4), new float[10], [], [], new float[10], [], new float[10], [], default));
        Assert.StartsWith("[rmsnorm]", e.Message);
    }

    private sealed record GradSet(float[] Dx, float[] Dres, float[] Dz, float[] Dw, float[] Db);

    private static GradSet Grads(int n, int res, int z, int c, int b) =>
        new(new float[n], new float[res], new float[z], new float[c], new float[b]);
}
