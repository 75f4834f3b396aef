using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.MatMul;
using Ssm.Engine.Kernels.Tests.Gpu;

namespace Ssm.Engine.Kernels.Tests.MatMul;

[Collection(IlgpuCpuCollection.Name)]
public sealed class GemmGpuTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind, bool, bool> Cases
    {
        get
        {
            var data = new TheoryData<GpuDeviceKind, bool, bool>();
            foreach (var kind in new[] { GpuDeviceKind.IlgpuCpu, GpuDeviceKind.IlgpuCpuWarp32 })
            foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                data.Add(kind, ta, tb);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Sgemm_MatchesReference_ForEveryTransposeWithPaddedStrides(GpuDeviceKind kind, bool ta, bool tb)
    {
        // Sizes straddle tile edges (tile 4 or 16); strides exceed the column counts.
        const int m = 19, n = 21, k = 23;
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
        float[] a = Close.Random(1, (ta ? k : m) * lda);
        float[] b = Close.Random(2, (tb ? n : k) * ldb);
        float[] c0 = Close.Random(3, m * ldc);
        var want = (float[])c0.Clone();
        var got = (float[])c0.Clone();
        Gemm.Reference.Sgemm(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, want, ldc);
        Gemm.Gpu.Sgemm(devices.Get(kind), ta, tb, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, got, ldc);
        Close.Assert(got, want, 1e-5, 1e-5, $"sgemm ta={ta} tb={tb}");
    }

    [Theory, MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void Sgemm_IgnoresGarbageInC_WhenBetaIsZero(GpuDeviceKind kind)
    {
        const int m = 5, n = 6, k = 7;
        float[] a = Close.Random(4, m * k), b = Close.Random(5, k * n);
        var want = new float[m * n];
        var got = Enumerable.Repeat(float.NaN, m * n).ToArray();
        Gemm.Reference.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, want, n);
        Gemm.Gpu.Sgemm(devices.Get(kind), false, false, m, n, k, 1f, a, k, b, n, 0f, got, n);
        Close.Assert(got, want, 1e-5, 1e-5, "sgemm beta=0 over NaN");
    }

    [Theory, MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void Sgemm_ScalesC_WhenKIsZero(GpuDeviceKind kind)
    {
        float[] c = { 1f, 2f, 3f, 4f };
        Gemm.Gpu.Sgemm(devices.Get(kind), false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 0,
            ReadOnlySpan<float>.Empty, 2, 2f, c, 2);
        Assert.Equal(new[] { 2f, 4f, 6f, 8f }, c);
    }

    [Theory, MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void Sgemv_MatchesReferenceGemmWithOneColumn_ForBothTransposes(GpuDeviceKind kind)
    {
        const int m = 37, k = 29;
        foreach (bool ta in new[] { false, true })
        {
            int lda = (ta ? m : k) + 1;
            float[] a = Close.Random(6, (ta ? k : m) * lda), x = Close.Random(7, k), y0 = Close.Random(8, m);
            var want = (float[])y0.Clone();
            var got = (float[])y0.Clone();
            Gemm.Reference.Sgemm(ta, false, m, 1, k, 1.5f, a, lda, x, 1, 0.25f, want, 1);
            Gemm.Gpu.Sgemv(devices.Get(kind), ta, m, k, 1.5f, a, lda, x, 0.25f, got);
            Close.Assert(got, want, 1e-5, 1e-5, $"sgemv ta={ta}");
        }
    }

    [Theory, MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void SgemmOnViews_ChainsOnDevice_WithoutHostCopies(GpuDeviceKind kind)
    {
        // (A·B)·B with the intermediate kept on the device.
        var device = devices.Get(kind);
        const int s = 9;
        float[] a = Close.Random(9, s * s), b = Close.Random(10, s * s);
        var ab = new float[s * s];
        var want = new float[s * s];
        Gemm.Reference.Sgemm(false, false, s, s, s, 1f, a, s, b, s, 0f, ab, s);
        Gemm.Reference.Sgemm(false, false, s, s, s, 1f, ab, s, b, s, 0f, want, s);
        using var da = device.Upload(a);
        using var db = device.Upload(b);
        using var dab = device.Allocate(s * s);
        using var dout = device.Allocate(s * s);
        Gemm.Gpu.Sgemm(device, false, false, s, s, s, 1f, da.View, s, db.View, s, 0f, dab.View, s);
        Gemm.Gpu.Sgemm(device, false, false, s, s, s, 1f, dab.View, s, db.View, s, 0f, dout.View, s);
        var got = new float[s * s];
        device.Download(dout.View, got);
        Close.Assert(got, want, 1e-5, 1e-5, "chained sgemm");
    }

    [Fact]
    public void Sgemm_Throws_WhenAIsTooShort()
    {
        var device = devices.Get(GpuDeviceKind.IlgpuCpu);
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Gpu.Sgemm(device, false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Contains("[gemm] A holds 3 values", e.Message);
    }
}
