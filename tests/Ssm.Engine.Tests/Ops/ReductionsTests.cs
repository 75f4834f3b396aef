using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class ReductionsTests
{
    [Fact]
    public void Sum_AlongAxes_MatchesHandComputed()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new float[] { 5, 7, 9 }, F.Sum(x, 0).ToArray());
        Assert.Equal(new float[] { 6, 15 }, F.Sum(x, 1).ToArray());
        Assert.Equal(new[] { 2, 1 }, F.Sum(x, 1, keepDim: true).Shape);
        Assert.Equal(21.0, F.Sum(x).Item());
        Assert.Empty(F.Sum(x).Shape);
        Assert.Equal(3.5, F.Mean(x).Item(), 6);
        Assert.Equal(new float[] { 3, 6 }, F.Max(x, -1).ToArray());
        Assert.Equal(3.5, F.Var(x).Item(), 6);
    }

    [Fact]
    public void Var_Unbiased_And_Population()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 4);
        Assert.Equal(5.0 / 3, F.Var(x).Item(), 12);
        Assert.Equal(1.25, F.Var(x, 0, correction: 0).Item(), 12);
        Assert.Equal(5.0 / 3, F.Var(x, -1).Item(), 12); // an int argument is an axis, never a correction
    }

    public static IEnumerable<object[]> Reductions()
        => new[] { "sum", "mean", "max", "var" }.Select(x => new object[] { x });

    [Theory]
    [MemberData(nameof(Reductions))]
    public void ReductionGradient_MatchesFiniteDifferences_OverAxes(string op)
    {
        var gen = from shape in TensorGen.Shape(1, 3, 4)
                  from mask in FsCheck.Fluent.Gen.ArrayOf(FsCheck.Fluent.Gen.Elements(false, true), shape.Length)
                  from keep in FsCheck.Fluent.Gen.Elements(false, true)
                  from seed in TensorGen.Seed()
                  select (shape, mask, keep, seed);
        TensorGen.ForAll(gen, v =>
        {
            int[] axes = Enumerable.Range(0, v.shape.Length).Where(i => v.mask[i]).ToArray();
            if (axes.Length == 0) axes = [v.shape.Length - 1];
            if (op == "var" && axes.Aggregate(1, (n, a) => n * v.shape[a]) < 2) return;
            var x = Tensor.Randn(v.shape, v.seed, DType.Float64);
            GradCheck.Check(t => op switch
            {
                "sum" => F.Sum(t, axes, v.keep),
                "mean" => F.Mean(t, axes, v.keep),
                "max" => F.Max(t, axes, v.keep),
                _ => F.Var(t, axes, 1, v.keep),
            }, x, op: op);
        }, seed: 7, count: 15);
    }

    [Fact]
    public void Sum_LargeRows_ParallelMatchesDouble()
    {
        var x = Tensor.Rand(3, 4, Par.Grain / 2 + 3);
        var s = F.Sum(x, -1).ToArray();
        var d = x.ToDoubleArray();
        int n = x.Shape[1];
        for (int r = 0; r < 4; r++)
            Assert.Equal(d.Skip(r * n).Take(n).Sum(), s[r], 1e-1);
        var s0 = F.Sum(x, 0).ToArray();
        Assert.Equal(d[5] + d[n + 5] + d[2 * n + 5] + d[3 * n + 5], s0[5], 4);
    }

    [Fact]
    public void Sum_BadAxis_NamesOp()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.Sum(Tensor.Zeros(2, 3), 2));
        Assert.Contains("[sum]", ex.Message);
    }
}
