using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public class OptimizerTests
{
    private static readonly double[] Grads = [0.5, -0.25, 1.0];

    private static (ParameterSet Set, Tensor P) Scalar(string name, double value)
    {
        var p = Tensor.FromArray(new[] { value }, 1);
        return (new ParameterSet([(name, p)]), p);
    }

    private static double[] Run(Optimizer opt, Tensor p)
    {
        var got = new double[Grads.Length];
        for (int i = 0; i < Grads.Length; i++)
        {
            p.Grad = Tensor.FromArray(new[] { Grads[i] }, 1);
            opt.Step();
            got[i] = p[0];
        }
        return got;
    }

    private static void Close(double[] expected, double[] got)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) < 1e-12, $"step {i + 1}: expected {expected[i]}, got {got[i]}");
    }

    // Expected values computed by hand from torch.optim.AdamW's update rule (three steps, bias correction).
    [Fact]
    public void AdamW_MatchesHandComputedUpdates_WithoutDecay()
    {
        var (set, p) = Scalar("w", 1.0);
        var opt = new AdamW(set, new AdamWOptions { LearningRate = 0.1, WeightDecay = 0 });
        Close([0.900000002, 0.8733662987078463, 0.8075551396770898], Run(opt, p));
        Assert.Equal(3, opt.StepCount);
    }

    [Fact]
    public void AdamW_MatchesHandComputedUpdates_WithDecoupledDecay()
    {
        var (set, p) = Scalar("w", 1.0);
        var opt = new AdamW(set, new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.1 });
        Close([0.890000002, 0.8544662986878463, 0.7801104766702113], Run(opt, p));
    }

    [Fact]
    public void AdamW_MatchesHandComputedUpdates_WithCustomBetas()
    {
        var (set, p) = Scalar("w", 2.0);
        var opt = new AdamW(set, new AdamWOptions
        {
            LearningRate = 0.01, Beta1 = 0.8, Beta2 = 0.9, Epsilon = 1e-3, WeightDecay = 0.5,
        });
        Close([1.9800199600798403, 1.9679830714480402, 1.951417938618251], Run(opt, p));
    }

    [Fact]
    public void AdamW_ExemptNamesGetNoDecay()
    {
        var (set, p) = Scalar("layers.0.mixer.A_log", 1.0);
        var opt = new AdamW(set, new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.1 });
        Close([0.900000002, 0.8733662987078463, 0.8075551396770898], Run(opt, p));
        Assert.Empty(opt.Groups[0].Parameters);
        Assert.Single(opt.Groups[1].Parameters);
    }

    [Fact]
    public void AdamW_Float32Parameters_TrackTheFloat64Result()
    {
        var p = Tensor.FromArray(new[] { 1f }, 1);
        var opt = new AdamW(new ParameterSet([("w", p)]), new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.1 });
        foreach (double g in Grads)
        {
            p.Grad = Tensor.FromArray(new[] { (float)g }, 1);
            opt.Step();
        }
        Assert.Equal(0.7801104766702113, p[0], 5);
    }

    [Fact]
    public void Sgd_Plain_MatchesHandComputedUpdates()
    {
        var (set, p) = Scalar("w", 1.0);
        Close([0.95, 0.975, 0.875], Run(new Sgd(set, new SgdOptions { LearningRate = 0.1 }), p));
    }

    [Fact]
    public void Sgd_Momentum_MatchesHandComputedUpdates()
    {
        var (set, p) = Scalar("w", 1.0);
        Close([0.95, 0.93, 0.812], Run(new Sgd(set, new SgdOptions { LearningRate = 0.1, Momentum = 0.9 }), p));
    }

    [Fact]
    public void Sgd_NesterovWithDecay_MatchesHandComputedUpdates()
    {
        var (set, p) = Scalar("w", 1.0);
        var opt = new Sgd(set,
            new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 0.01 });
        Close([0.9031, 0.90757411, 0.6981892081909999], Run(opt, p));
    }

    [Fact]
    public void Sgd_Dampening_MatchesHandComputedUpdates()
    {
        var (set, p) = Scalar("w", 1.0);
        var opt = new Sgd(set, new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Dampening = 0.5 });
        Close([0.95, 0.9175, 0.83825], Run(opt, p));
    }

    [Fact]
    public void Step_SkipsParametersWithoutGradient()
    {
        var a = Tensor.FromArray(new[] { 1.0 }, 1);
        var b = Tensor.FromArray(new[] { 2.0 }, 1);
        var opt = new AdamW(new ParameterSet([("a", a), ("b", b)]));
        a.Grad = Tensor.FromArray(new[] { 1.0 }, 1);
        opt.Step();
        Assert.NotEqual(1.0, a[0]);
        Assert.Equal(2.0, b[0]);
        Assert.DoesNotContain(opt.ExportState(), s => s.Name.EndsWith(".b", StringComparison.Ordinal));
    }

    [Fact]
    public void ExportImport_ContinuesExactly()
    {
        var (set1, p1) = Scalar("w", 1.0);
        var opt1 = new AdamW(set1, new AdamWOptions { LearningRate = 0.1 });
        p1.Grad = Tensor.FromArray(new[] { 0.5 }, 1);
        opt1.Step();
        var (set2, p2) = Scalar("w", p1[0]);
        var opt2 = new AdamW(set2, new AdamWOptions { LearningRate = 0.1 });
        opt2.ImportState(opt1.ExportState());
        Assert.Equal(1, opt2.StepCount);
        p1.Grad = Tensor.FromArray(new[] { -0.25 }, 1);
        opt1.Step();
        p2.Grad = Tensor.FromArray(new[] { -0.25 }, 1);
        opt2.Step();
        Assert.Equal(p1[0], p2[0]);
    }

    [Fact]
    public void ImportState_RejectsUnknownOrMisshapenEntries()
    {
        var (set, _) = Scalar("w", 1.0);
        var opt = new AdamW(set);
        var step = ("step", Tensor.FromArray(new long[] { 1 }, 1));
        Assert.Throws<ArgumentException>(() => opt.ImportState([step, ("exp_avg.nope", Tensor.Zeros(1))]));
        Assert.Throws<ArgumentException>(() => opt.ImportState([step, ("momentum.w", Tensor.Zeros(1))]));
        Assert.Throws<ArgumentException>(() => opt.ImportState([step, ("exp_avg.w", Tensor.Zeros(2))]));
        Assert.Throws<ArgumentException>(() => opt.ImportState([("exp_avg.w", Tensor.Zeros(1))]));
    }

    [Theory]
    [InlineData("layers.0.mixer.A_log", true)]
    [InlineData("layers.0.mixer.D", true)]
    [InlineData("layers.0.mixer.dt_bias", true)]
    [InlineData("layers.0.mixer.out_proj.bias", true)]
    [InlineData("layers.0.norm.weight", true)]
    [InlineData("norm_f.weight", true)]
    [InlineData("backbone.embeddings.weight", true)]
    [InlineData("embedding.weight", true)]
    [InlineData("layers.0.mixer.in_proj.weight", false)]
    [InlineData("layers.0.mixer.dt_proj.weight", false)]
    [InlineData("layers.0.mixer.Dense.weight", false)]
    [InlineData("lm_head.weight", false)]
    public void MambaDefault_ExemptsTheMarkedNames(string name, bool exempt)
    {
        Assert.Equal(exempt, WeightDecayRule.MambaDefault.IsExempt(name, Tensor.Zeros(1)));
    }

    [Fact]
    public void ParameterSet_RejectsDuplicatesAndNonLeaves()
    {
        var a = Tensor.Zeros(2);
        Assert.Throws<ArgumentException>(() => new ParameterSet([("a", a), ("a", Tensor.Zeros(2))]));
        var nonLeaf = Ssm.Engine.Ops.F.Mul(Tensor.Zeros(2).WithRequiresGrad(), Tensor.Ones(2));
        Assert.Throws<ArgumentException>(() => new ParameterSet([("x", nonLeaf)]));
        Assert.Throws<ArgumentException>(() => new ParameterSet([("i", Tensor.Zeros([2], DType.Int32))]));
    }
}
