using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

/// <summary>Float64 gradient checks of the shape, indexing and norm ops over FsCheck-generated shapes
/// and axes.</summary>
public class RandomShapeGradientTests
{
    private static FsCheck.Gen<(int[] Shape, int Axis, int Seed)> ShapeAxisSeed(int minRank = 1) =>
        from shape in TensorGen.Shape(minRank, 3, 4)
        from axis in Gen.Choose(0, shape.Length - 1)
        from seed in TensorGen.Seed()
        select (shape, axis, seed);

    private static Tensor R(int[] shape, int seed) => Tensor.Randn(shape, seed, DType.Float64);

    [Fact]
    public void ConcatSplitStackCumsum_Gradients_OverRandomAxes()
    {
        TensorGen.ForAll(ShapeAxisSeed().Zip(Gen.Choose(1, 3)), v =>
        {
            var ((shape, axis, seed), extra) = v;
            var other = shape.ToArray();
            other[axis] = extra;
            GradCheck.Check(xs => F.Concat([xs[0], xs[1]], axis), [R(shape, seed), R(other, seed + 1)], op: "concat");
            GradCheck.Check(xs => F.Stack([xs[0], xs[1]], axis), [R(shape, seed), R(shape, seed + 2)], op: "stack");
            GradCheck.Check(t => F.Cumsum(t, axis), R(shape, seed + 3), op: "cumsum");
            int n = shape[axis];
            GradCheck.Check(t => F.Split(t, [n / 2, n - n / 2], axis)[1], R(shape, seed + 4), op: "split");
        }, seed: 404, count: 12);
    }

    [Fact]
    public void PadGatherIndexSelect_Gradients_OverRandomShapes()
    {
        TensorGen.ForAll(ShapeAxisSeed().Zip(Gen.Choose(0, 2).Four()), v =>
        {
            var ((shape, axis, seed), (p0, p1, p2, p3)) = v;
            GradCheck.Check(t => F.Pad(t, new[] { p0, p1, p2, p3 }.Take(Math.Min(4, 2 * shape.Length)).ToArray(), 1.5),
                R(shape, seed), op: "pad");
            var rng = new Random(seed);
            int n = shape[axis];
            var sel = Tensor.FromArray(Enumerable.Range(0, 5).Select(_ => rng.Next(n)).ToArray(), 5);
            GradCheck.Check(xs => F.IndexSelect(xs[0], axis, xs[1]), [R(shape, seed), sel], op: "index_select");
            var gshape = shape.ToArray();
            gshape[axis] = 3;
            var picks = Enumerable.Range(0, ShapeUtil.NumEl(gshape)).Select(_ => (long)rng.Next(n)).ToArray();
            var gidx = Tensor.FromArray(picks, gshape);
            GradCheck.Check(xs => F.Gather(xs[0], axis, xs[1]), [R(shape, seed + 1), gidx], op: "gather");
        }, seed: 405, count: 12);
    }

    [Fact]
    public void Norms_Gradients_OverRandomLeadingShapes()
    {
        TensorGen.ForAll(ShapeAxisSeed(), v =>
        {
            int d = v.Shape[^1] + 1;
            int[] shape = [.. v.Shape[..^1], d];
            GradCheck.Check(xs => F.RmsNorm(xs[0], xs[1], 1e-5), [R(shape, v.Seed), R([d], v.Seed + 1)],
                op: "rms_norm");
            GradCheck.Check(xs => F.LayerNorm(xs[0], xs[1], xs[2], 1e-5),
                [R(shape, v.Seed + 2), R([d], v.Seed + 3), R([d], v.Seed + 4)], op: "layer_norm");
        }, seed: 406, count: 12);
    }
}
