using Ssm.Engine.Autograd;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class IndexingTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    [Fact]
    public void Gather_IndexSelect_Embedding_PickExpectedElements()
    {
        var x = Tensor.Arange(12).Reshape(3, 4);
        var g = F.Gather(x, 1, Tensor.FromArray(new long[] { 3, 0, 1, 1, 2, 2 }, 3, 2));
        Assert.Equal(new float[] { 3, 0, 5, 5, 10, 10 }, g.ToArray());
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3 }, F.IndexSelect(x, 0, Tensor.FromArray(new[] { 2, 0 },
                2)).ToArray());
        Assert.Equal(new float[] { 3, 1, 7, 5, 11, 9 }, F.IndexSelect(x, 1, Tensor.FromArray(new[] { -1, 1 },
                2)).ToArray());
        var e = F.Embedding(x, Tensor.FromArray(new[] { 1, 1, 2, 0 }, 2, 2));
        Assert.Equal(new[] { 2, 2, 4 }, e.Shape);
        Assert.Equal(x[2, 3], e[1, 0, 3]);
        var ex = Assert.Throws<IndexOutOfRangeException>(() => F.IndexSelect(x, 0, Tensor.FromArray(new[] { 3 }, 1)));
        Assert.Contains("[index_select]", ex.Message);
    }

    [Fact]
    public void IndexingOps_Gradients_AccumulateRepeatedIndices()
    {
        var idx = Tensor.FromArray(new[] { 2, 0, 2, 2 }, 4);
        GradCheck.Check(xs => F.IndexSelect(xs[0], 1, xs[1]), [R(1, 2, 3), idx], op: "index_select");
        GradCheck.Check(xs => F.Embedding(xs[0], xs[1]), [R(2, 3, 2), idx.Reshape(2, 2)], op: "embedding");
        var gi = Tensor.FromArray(new long[] { 0, 0, 2, 1, 1, 1 }, 2, 3);
        GradCheck.Check(xs => F.Gather(xs[0], 1, xs[1]), [R(3, 2, 4), gi], op: "gather");
        GradCheck.Check(xs => F.TopK(xs[0], 2, 0).Values, [R(4, 3, 2)], op: "topk");
    }

    [Fact]
    public void Where_MaskedFill_Comparisons()
    {
        var x = Tensor.FromArray(new float[] { -1, 2, -3, 4 }, 2, 2);
        var pos = F.Gt(x, x.Scalar(0));
        Assert.Equal(DType.UInt8, pos.DType);
        Assert.Equal(new float[] { 0, 1, 0, 1 }, pos.ToArray());
        Assert.Equal(new float[] { 0, 2, 0, 4 }, F.Where(pos, x, x.Scalar(0)).ToArray());
        var causal = F.Gt(Tensor.Arange(2).Reshape(1, 2), Tensor.Arange(2).Reshape(2, 1));
        var m = F.MaskedFill(x, causal, double.NegativeInfinity).ToArray();
        Assert.Equal(new[] { -1f, float.NegativeInfinity, -3f, 4f }, m);
        Assert.Equal(new float[] { 1, 0, 1, 0 }, F.Le(x, x.Scalar(-1)).ToArray());
        Assert.Equal(new float[] { 0, 1, 0, 0 }, F.Eq(x, x.Scalar(2)).ToArray());
    }

    [Fact]
    public void Where_And_Compare_OnOffsetViews_ReadTheViewedElements()
    {
        var x = Tensor.Arange(6).Reshape(2, 3).Narrow(0, 1, 1); // contiguous, storage offset 3
        var all = F.Ge(x, x.Scalar(0)).Narrow(1, 1, 2);
        Assert.Equal(new float[] { 4, 5 }, F.Where(all, x.Narrow(1, 1, 2), x.Scalar(-1)).ToArray());
        Assert.Equal(new float[] { 0, 1, 1 }, F.Gt(x, x.Scalar(3)).ToArray());
    }

    [Fact]
    public void Where_Gradient_BroadcastsAllOperands()
    {
        var mask = F.Gt(Tensor.Randn(9, 3, 1), Tensor.Zeros(1));
        GradCheck.Check(xs => F.Where(mask, xs[0], xs[1]), [R(5, 1, 4), R(6, 3, 4)], op: "where");
        GradCheck.Check(t => F.MaskedFill(t, mask, 2.5), R(7, 3, 4), op: "masked_fill");
    }

    [Fact]
    public void OneHot_Argmax_TopK_Values()
    {
        var oh = F.OneHot(Tensor.FromArray(new long[] { 2, 0 }, 2), 3);
        Assert.Equal(new float[] { 0, 0, 1, 1, 0, 0 }, oh.ToArray());
        var x = Tensor.FromArray(new float[] { 1, 5, 3, 9, 2, 4 }, 2, 3);
        Assert.Equal(new long[] { 1, 0 }, F.Argmax(x, -1).ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 1 }, F.Argmax(x, 0).ToArray<long>());
        Assert.Equal(new[] { 2, 1 }, F.Argmax(x, 1, keepDim: true).Shape);
        var (v, i) = F.TopK(x, 2);
        Assert.Equal(new float[] { 5, 3, 9, 4 }, v.ToArray());
        Assert.Equal(new long[] { 1, 2, 0, 2 }, i.ToArray<long>());
        var (vs, _) = F.TopK(x, 1, largest: false);
        Assert.Equal(new float[] { 1, 2 }, vs.ToArray());
    }

    [Fact]
    public void NonDifferentiableOutputs_ThrowWhenDifferentiated()
    {
        var x = Tensor.Randn([2, 3], 3, DType.Float64).WithRequiresGrad();
        var (_, idx) = F.TopK(x, 2);
        var ex = Assert.Throws<NotDifferentiableException>(() => F.Sum(idx.To(DType.Float64)).Backward());
        Assert.Equal("topk_indices", ex.OpName);
        var cmp = F.Gt(x, x.Scalar(0)).To(DType.Float64);
        Assert.Equal("gt", Assert.Throws<NotDifferentiableException>(() => F.Sum(cmp * x).Backward()).OpName);
    }
}
