using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class NnTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    [Fact]
    public void RmsNorm_MatchesFormula()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);
        var w = Tensor.FromArray(new double[] { 1, 2 }, 2);
        var y = F.RmsNorm(x, w, 0).ToDoubleArray();
        double r0 = Math.Sqrt(2.5), r1 = Math.Sqrt(12.5);
        TensorAssert.Close(new[] { 1 / r0, 4 / r0, 3 / r1, 8 / r1 }, y, 1e-12, 0);
    }

    [Fact]
    public void LayerNorm_HasZeroMeanUnitVariance()
    {
        var y = F.LayerNorm(Tensor.Randn([3, 8], 1, DType.Float64), null, null, 0);
        TensorAssert.Close(new double[3], F.Mean(y, -1).ToDoubleArray(), 1e-12, 0);
        TensorAssert.Close(new double[] { 1, 1, 1 }, F.Var(y, -1, correction: 0).ToDoubleArray(), 1e-9, 0);
    }

    [Fact]
    public void Norms_Gradients_MatchFiniteDifferences()
    {
        GradCheck.Check(xs => F.RmsNorm(xs[0], xs[1], 1e-5), [R(1, 2, 3, 4), R(2, 4)], op: "rms_norm");
        GradCheck.Check(xs => F.LayerNorm(xs[0], xs[1], xs[2], 1e-5), [R(3, 3, 5), R(4, 5), R(5, 5)], op: "layer_norm");
    }

    [Fact]
    public void Dropout_IsSeeded_ScalesKeptValues_AndIsIdentityInEval()
    {
        var x = Tensor.Ones(1000);
        var a = F.Dropout(x, 0.25, seed: 3).ToArray();
        Assert.Equal(a, F.Dropout(x, 0.25, seed: 3).ToArray());
        Assert.All(a, v => Assert.True(v == 0 || Math.Abs(v - 4f / 3) < 1e-6));
        Assert.InRange(a.Count(v => v == 0), 180, 320);
        Assert.Same(x, F.Dropout(x, 0.25, seed: 3, training: false));
        GradCheck.Check(t => F.Dropout(t, 0.5, seed: 9), R(6, 4, 3), op: "dropout");
    }
}
