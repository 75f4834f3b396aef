using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class SoftmaxTests
{
    [Fact]
    public void Softmax_RowsSumToOne_AndAreShiftInvariant()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 1000, 1001, 1002 }, 2, 3);
        var y = F.Softmax(x, -1).ToArray();
        Assert.Equal(1.0, y[0] + y[1] + y[2], 5);
        for (int i = 0; i < 3; i++) Assert.Equal(y[i], y[i + 3], 5);
        var ls = F.LogSoftmax(x, -1).ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(Math.Log(y[i]), ls[i], 4);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_Gradients_AlongEveryAxis()
    {
        TensorGen.ForAll(TensorGen.Shape(1, 3, 4).Zip(TensorGen.Seed()), v =>
        {
            var x = Tensor.Randn(v.Item1, v.Item2, DType.Float64);
            for (int axis = 0; axis < x.Rank; axis++)
            {
                int a = axis;
                GradCheck.Check(t => F.Softmax(t, a), x, op: "softmax");
                GradCheck.Check(t => F.LogSoftmax(t, a), x, op: "log_softmax");
            }
        }, seed: 3, count: 10);
    }

    [Fact]
    public void CrossEntropy_MatchesLogSoftmaxPick_WithIgnoreIndex()
    {
        var logits = Tensor.Randn(4, 3, 5);
        var targets = Tensor.FromArray(new long[] { 1, -100, 4 }, 3);
        var ls = F.LogSoftmax(logits, -1);
        double expected = -(ls[0, 1] + ls[2, 4]) / 2;
        Assert.Equal(expected, F.CrossEntropy(logits, targets).Item(), 4);
        Assert.Equal(-(ls[0, 1] + ls[2, 4]), F.CrossEntropy(logits, targets, reduction: Reduction.Sum).Item(), 4);
        var none = F.CrossEntropy(logits, targets, reduction: Reduction.None).ToArray();
        Assert.Equal(0f, none[1]);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void CrossEntropy_Gradient_MatchesFiniteDifferences(Reduction reduction)
    {
        var logits = Tensor.Randn([2, 3, 4], 11, DType.Float64);
        var targets = Tensor.FromArray(new[] { 0, 3, -1, 2, 1, 3 }, 2, 3);
        GradCheck.Check(xs => F.CrossEntropy(xs[0], xs[1], ignoreIndex: -1, reduction: reduction), [logits, targets],
            op: "cross_entropy");
    }

    [Fact]
    public void CrossEntropy_TargetOutOfRange_IsClearError()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.CrossEntropy(Tensor.Zeros(2, 3), Tensor.FromArray(new[] { 0, 3 }, 2)));
        Assert.Contains("[cross_entropy] target 3", ex.Message);
    }
}
