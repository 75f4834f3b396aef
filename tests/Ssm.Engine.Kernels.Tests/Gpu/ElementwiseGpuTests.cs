using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

[Collection(IlgpuCpuCollection.Name)]
public sealed class ElementwiseGpuTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    [Theory, MemberData(nameof(Kinds))]
    public void Map_MatchesFloat64Reference_ForEveryOperator(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        // Covers both softplus branches (x > 20 returns x) and large |x| for sigmoid/silu.
        float[] x = Close.Random(11, 203, -30f, 30f);
        CheckMap<ExpOperator>(device, Close.Random(12, 203, -10f, 10f));
        CheckMap<SigmoidOperator>(device, x);
        CheckMap<SiluOperator>(device, x);
        CheckMap<SoftplusOperator>(device, x);
        CheckMap<NegOperator>(device, x);
        CheckMap<TanhOperator>(device, x);
        CheckMap<SiluGradOperator>(device, x);
        CheckMap<SoftplusGradOperator>(device, x);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Zip_MatchesReference_ForEveryOperator(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        float[] a = Close.Random(21, 77), b = Close.Random(22, 77);
        CheckZip<AddOperator>(device, a, b);
        CheckZip<MulOperator>(device, a, b);
        CheckZip<SubOperator>(device, a, b);
        CheckZip<DivOperator>(device, a, b);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void ReduceRows_MatchesReference_ForSumAndMaxAcrossRowLengths(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        // cols below, equal to and above the group size, and not a multiple of it.
        foreach (int cols in new[] { 1, 3, device.GroupSize, 300 })
        {
            const int rows = 5;
            float[] x = Close.Random(31 + cols, rows * cols, -4f, 4f);
            CheckReduce<SumReduction>(device, x, rows, cols, 1e-5, 1e-6);
            CheckReduce<MaxReduction>(device, x, rows, cols, 0, 0);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void ReduceRows_ReturnsIdentity_WhenRowsAreEmpty(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        var sum = new float[] { 7f, 7f };
        var max = new float[] { 7f, 7f };
        Elementwise.Gpu.ReduceRows<SumReduction>(device, ReadOnlySpan<float>.Empty, 2, 0, sum);
        Elementwise.Gpu.ReduceRows<MaxReduction>(device, ReadOnlySpan<float>.Empty, 2, 0, max);
        Assert.Equal(new[] { 0f, 0f }, sum);
        Assert.Equal(new[] { float.NegativeInfinity, float.NegativeInfinity }, max);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void ReduceRows_IsBitIdentical_AcrossRuns(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        const int rows = 4, cols = 1000;
        // Values of mixed magnitude make the float sum depend on the combination order.
        float[] x = Close.Random(41, rows * cols, -1f, 1f);
        for (int i = 0; i < x.Length; i += 7) x[i] *= 1e4f;
        var first = new float[rows];
        var second = new float[rows];
        Elementwise.Gpu.ReduceRows<SumReduction>(device, x, rows, cols, first);
        Elementwise.Gpu.ReduceRows<SumReduction>(device, x, rows, cols, second);
        for (int r = 0; r < rows; r++)
            Assert.Equal(BitConverter.SingleToInt32Bits(first[r]), BitConverter.SingleToInt32Bits(second[r]));
    }

    [Theory, MemberData(nameof(Kinds))]
    public void MapOnViews_WorksInPlace_AndLeavesDataOnDevice(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        float[] x = Close.Random(51, 64);
        using var buffer = device.Upload(x);
        Elementwise.Gpu.Map<SiluOperator>(device, buffer.View, buffer.View);
        Elementwise.Gpu.Map<SiluOperator>(device, buffer.View, buffer.View);
        var got = new float[x.Length];
        device.Download(buffer.View, got);
        var want = x.Select(v => KernelMath.Silu(KernelMath.Silu(v))).ToArray();
        Close.Assert(got, want, 1e-6, 1e-6, "silu∘silu in place");
    }

    [Fact]
    public void Validation_NamesTheOperands_OnMismatchedLengths()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Elementwise.Reference.Zip<AddOperator>(new float[3], new float[4], new float[3]));
        Assert.Contains("[zip] a holds 3 values but b holds 4", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Elementwise.Reference.ReduceRows<SumReduction>(new float[6], 2, 4, new float[2]));
        Assert.Contains("[reduce_rows] x holds 6 values, expected (2, 4)", e.Message);
    }

    private static void CheckMap<TOp>(GpuDevice device, float[] x) where TOp : struct, IUnaryOperator
    {
        var want = new float[x.Length];
        var got = new float[x.Length];
        Elementwise.Reference.Map<TOp>(x, want);
        Elementwise.Gpu.Map<TOp>(device, x, got);
        // Float32 evaluation against the float64 reference: a few ulps, relative to each value.
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-6 + 4e-7 * Math.Abs(want[i]),
                $"{typeof(TOp).Name}({x[i]}) = {got[i]}, want {want[i]}");
    }

    private static void CheckZip<TOp>(GpuDevice device, float[] a, float[] b) where TOp : struct, IBinaryOperator
    {
        var want = new float[a.Length];
        var got = new float[a.Length];
        Elementwise.Reference.Zip<TOp>(a, b, want);
        Elementwise.Gpu.Zip<TOp>(device, a, b, got);
        Assert.Equal(want, got);
    }

    private static void CheckReduce<TOp>(GpuDevice device, float[] x, int rows, int cols, double atol, double rtol)
        where TOp : struct, IReduceOperator
    {
        var want = new float[rows];
        var got = new float[rows];
        Elementwise.Reference.ReduceRows<TOp>(x, rows, cols, want);
        Elementwise.Gpu.ReduceRows<TOp>(device, x, rows, cols, got);
        Close.Assert(got, want, atol * cols, rtol * cols, $"{typeof(TOp).Name} rows of {cols}");
    }
}
