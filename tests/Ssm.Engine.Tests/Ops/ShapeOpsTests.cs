using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class ShapeOpsTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    [Fact]
    public void Concat_Split_Stack_RoundTrip()
    {
        var a = Tensor.Arange(6).Reshape(2, 3);
        var b = Tensor.Arange(6, 10).Reshape(2, 2);
        var c = F.Concat([a, b], 1);
        Assert.Equal(new[] { 2, 5 }, c.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 6, 7, 3, 4, 5, 8, 9 }, c.ToArray());
        var parts = F.Split(c, [3, 2], 1);
        TensorAssert.Equal(a, parts[0]);
        TensorAssert.Equal(b, parts[1]);
        Assert.Equal(3, F.Split(Tensor.Zeros(7), 3).Length);
        var s = F.Stack([a, a * 2.0], 1);
        Assert.Equal(new[] { 2, 2, 3 }, s.Shape);
        Assert.Equal(2 * a[1, 2], s[1, 1, 2]);
        var ex = Assert.Throws<ArgumentException>(() => F.Concat([a, b], 0));
        Assert.Contains("[concat]", ex.Message);
    }

    [Fact]
    public void Pad_PlacesInputAndFillsValue()
    {
        var x = Tensor.Ones(1, 2);
        var p = F.Pad(x, [1, 2, 0, 1], -1);
        Assert.Equal(new[] { 2, 5 }, p.Shape);
        Assert.Equal(new float[] { -1, 1, 1, -1, -1, -1, -1, -1, -1, -1 }, p.ToArray());
    }

    [Fact]
    public void ShapeOps_Gradients_MatchFiniteDifferences()
    {
        GradCheck.Check(xs => F.Concat([xs[0], xs[1].MT], 0), [R(1, 2, 3), R(2, 3, 1)], op: "concat");
        GradCheck.Check(xs => F.Stack([xs[0], xs[1]], 2), [R(3, 2, 3), R(4, 2, 3)], op: "stack");
        GradCheck.Check(t => F.Split(t, [1, 2], 1)[1] * F.Split(t, [2, 1], 1)[0], R(5, 2, 3), op: "split");
        GradCheck.Check(t => F.Pad(t, [2, 1, 1, 0], 3), R(6, 2, 3), op: "pad");
        GradCheck.Check(t => F.Cumsum(t, 0) + F.Cumsum(t, -1), R(7, 3, 4), op: "cumsum");
    }

    [Fact]
    public void Cumsum_MatchesRunningSum()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new float[] { 1, 3, 6, 4, 9, 15 }, F.Cumsum(x, 1).ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 5, 7, 9 }, F.Cumsum(x, 0).ToArray());
    }
}
