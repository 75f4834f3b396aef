using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public class GradientsTests
{
    private static ParameterSet TwoParams(double[] ga, double[] gb)
    {
        var a = Tensor.Zeros([ga.Length], DType.Float64);
        var b = Tensor.Zeros([gb.Length], DType.Float64);
        var set = new ParameterSet([("a", a), ("b", b)]);
        a.Grad = Tensor.FromArray(ga, ga.Length);
        b.Grad = Tensor.FromArray(gb, gb.Length);
        return set;
    }

    [Fact]
    public void ClipByGlobalNorm_ScalesAboveTheLimit_AndReturnsPreClipNorm()
    {
        var set = TwoParams([3, 0], [0, 4]); // norm 5
        double norm = Gradients.ClipByGlobalNorm(set, 1.0);
        Assert.Equal(5.0, norm, 12);
        double c = 1.0 / (5.0 + 1e-6);
        Assert.Equal([3 * c, 0], set["a"].Grad!.ToDoubleArray());
        Assert.Equal([0, 4 * c], set["b"].Grad!.ToDoubleArray());
        Assert.Equal(1.0, Gradients.GlobalNorm(set), 5);
    }

    [Fact]
    public void ClipByGlobalNorm_LeavesSmallGradientsUntouched()
    {
        var set = TwoParams([0.3], [0.4]);
        var before = set["a"].Grad;
        Assert.Equal(0.5, Gradients.ClipByGlobalNorm(set, 1.0), 12);
        Assert.Same(before, set["a"].Grad);
    }

    [Fact]
    public void ClipByGlobalNorm_ReportsNonFiniteNormWithoutScaling()
    {
        var set = TwoParams([double.NaN], [1]);
        Assert.True(double.IsNaN(Gradients.ClipByGlobalNorm(set, 1.0)));
        Assert.Equal([1.0], set["b"].Grad!.ToDoubleArray());
    }

    [Fact]
    public void Accumulator_OverMicroBatches_EqualsFullBatchGradient()
    {
        var w = Tensor.FromArray(new[] { 0.5, -1.0 }, 2, 1);
        var set = new ParameterSet([("w", w)]);
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8 }, 4, 2);
        var y = Tensor.FromArray(new[] { 1.0, 0, -1, 2 }, 4, 1);
        Tensor Loss(Tensor xs, Tensor ys) => F.Mean(F.Pow(F.MatMul(xs, w) - ys, 2));

        Loss(x, y).Backward();
        var full = w.Grad!.ToDoubleArray();
        set.ZeroGrad();

        var acc = new GradientAccumulator(set, microBatches: 2);
        acc.Backward(Loss(x.Narrow(0, 0, 2), y.Narrow(0, 0, 2)));
        Assert.False(acc.IsComplete);
        acc.Backward(Loss(x.Narrow(0, 2, 2), y.Narrow(0, 2, 2)));
        Assert.True(acc.IsComplete);
        var accumulated = w.Grad!.ToDoubleArray();
        for (int i = 0; i < full.Length; i++) Assert.Equal(full[i], accumulated[i], 12);
        Assert.Throws<InvalidOperationException>(() => acc.Backward(Loss(x, y)));
        acc.Reset();
        Assert.Null(w.Grad);
        Assert.Equal(0, acc.Count);
    }

    [Fact]
    public void Guard_NamesTheStepAndFirstOffendingParameter()
    {
        var set = TwoParams([1, 2], [3, double.PositiveInfinity]);
        var e = Assert.Throws<TrainingDivergedException>(() => DivergenceGuard.CheckGradients(17, set));
        Assert.Equal(17, e.Step);
        Assert.Equal("b", e.ParameterName);
        Assert.Equal(1, e.Index);
        Assert.Contains("step 17", e.Message);
        Assert.Contains("'b'", e.Message);
        set["a"].Grad = Tensor.FromArray(new[] { double.NaN, 0 }, 2);
        Assert.Equal("a", Assert.Throws<TrainingDivergedException>(
            () => DivergenceGuard.CheckGradients(3, set, Gradients.GlobalNorm(set))).ParameterName);
    }

    [Fact]
    public void Guard_RejectsNonFiniteLoss_AcceptsFinite()
    {
        var e = Assert.Throws<TrainingDivergedException>(() => DivergenceGuard.CheckLoss(4, double.NaN));
        Assert.Equal("loss", e.ParameterName);
        Assert.Equal(4, e.Step);
        DivergenceGuard.CheckLoss(4, 1e30);
        DivergenceGuard.CheckGradients(4, TwoParams([1], [2]));
    }
}
