using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Tensors;

public class TensorTests
{
    private static Tensor Iota(params int[] shape) => Tensor.Arange(ShapeUtil.NumEl(shape)).Reshape(shape);

    [Fact]
    public void Factories_ProduceExpectedValues()
    {
        Assert.Equal(new float[] { 0, 0 }, Tensor.Zeros(2).ToArray());
        Assert.Equal(new float[] { 1, 1, 1 }, Tensor.Ones(3).ToArray());
        Assert.Equal(new float[] { 2.5f, 2.5f }, Tensor.Full([2], 2.5).ToArray());
        Assert.Equal(new float[] { 1, 3, 5 }, Tensor.Arange(1, 6, 2).ToArray());
        Assert.Equal(DeviceSpec.Cpu, Tensor.Zeros(1).Device);
        Assert.Equal(Tensor.Randn(7, 5).ToArray(), Tensor.Randn(7, 5).ToArray());
        Assert.NotEqual(Tensor.Randn(7, 5).ToArray(), Tensor.Randn(8, 5).ToArray());
        var u = Tensor.Rand(3, 1000).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(4.0, Tensor.FromArray(new float[] { 4 }, 1).Item());
    }

    [Fact]
    public void FromArray_WrongSize_IsClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        Assert.Contains("[from_array]", ex.Message);
    }

    [Fact]
    public void HalfStorage_KeepsTwoBytesPerElement_AndRoundTrips()
    {
        var x = Tensor.FromArray(new float[] { 1, -2.5f, 3.140625f, 65504 }, 4);
        var b = x.To(DType.BFloat16);
        Assert.IsType<ushort[]>(b.Storage.Data);
        Assert.Equal(new float[] { 1, -2.5f, 3.140625f, 65536 }, b.To(DType.Float32).ToArray());
        var h = x.To(DType.Float16);
        Assert.IsType<Half[]>(h.Storage.Data);
        Assert.Equal(new float[] { 1, -2.5f, 3.140625f, 65504 }, h.ToArray());
    }

    [Fact]
    public void Transpose_And_Permute_IndexCorrectly()
    {
        var x = Iota(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        Assert.False(p.IsContiguous);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++)
            Assert.Equal(x[i, j, k], p[k, i, j]);
        Assert.Equal(x[1, 2, 3], x.Transpose(0, 2)[3, 2, 1]);
    }

    [Fact]
    public void Slice_Narrow_Flip_Select_IndexCorrectly()
    {
        var x = Iota(4, 5);
        var s = x.Slice(1, 1, 5, 2);
        Assert.Equal(new[] { 4, 2 }, s.Shape);
        Assert.Equal(x[2, 3], s[2, 1]);
        Assert.Equal(new float[] { 10, 11, 12, 13, 14 }, x.Narrow(0, 2, 1).ToArray());
        Assert.Equal(new float[] { 4, 3, 2, 1, 0 }, x.Flip(1).Select(0, 0).ToArray());
        Assert.Equal(x[3, 4], x.Flip(0, 1)[0, 0]);
        Assert.Equal(new float[] { 3, 8, 13, 18 }, x.Select(1, -2).ToArray());
        Assert.Equal(new[] { 0, 5 }, x.Slice(0, 3, 1).Shape);
    }

    [Fact]
    public void Views_ShareStorage_AndWritesAreVisible()
    {
        var x = Iota(3, 4);
        var v = x.Transpose(0, 1).Narrow(0, 1, 2).Flip(1);
        Assert.Same(x.Storage, v.Storage);
        v[0, 0] = 100; // = x[2, 1]
        Assert.Equal(100, x[2, 1]);
        x.Narrow(1, 0, 1).Fill(-1);
        Assert.Equal(new float[] { -1, -1, -1 }, x.Select(1, 0).ToArray());
        x.Reshape(12)[5] = 55;
        Assert.Equal(55, x[1, 1]);
    }

    [Fact]
    public void Reshape_NonContiguous_Copies_ViewThrows()
    {
        var x = Iota(2, 3);
        var t = x.MT;
        var r = t.Reshape(6);
        Assert.NotSame(x.Storage, r.Storage);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, r.ToArray());
        var ex = Assert.Throws<InvalidOperationException>(() => t.View(6));
        Assert.Contains("not contiguous", ex.Message);
        Assert.Same(x.Storage, x.Reshape(3, -1).Storage);
        Assert.Throws<ArgumentException>(() => x.Reshape(4, -1));
    }

    [Fact]
    public void Expand_BroadcastsWithZeroStrides()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 3, 1);
        var e = x.Expand(2, 3, 4);
        Assert.Equal(new[] { 0, 1, 0 }, e.Strides);
        Assert.Equal(3, e[1, 2, 3]);
        Assert.Throws<ArgumentException>(() => x.Expand(2, 4));
        Assert.Equal(new[] { 3, 1 }, x.Unsqueeze(0).Squeeze(0).Shape);
    }

    [Fact]
    public void ViewGradients_MatchFiniteDifferences()
    {
        var x = Tensor.Randn([3, 4], 2, DType.Float64);
        GradCheck.Check(t => t.Slice(1, 1, 4, 2) * t.Narrow(1, 0, 2).Flip(0), x, op: "slice*narrow");
        GradCheck.Check(t => t.Permute(1, 0).Reshape(2, 6).Contiguous(), x, op: "permute_reshape");
        GradCheck.Check(t => t.Narrow(0, 0, 1).Expand(2, 3, 4) * 2.0, x, op: "expand");
        GradCheck.Check(t => t.Unsqueeze(1).Squeeze(1).Select(0, 2), x, op: "select");
    }
}
