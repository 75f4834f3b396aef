using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class MatMulTests
{
    [Fact]
    public void MatMul_2D_MatchesHandComputed()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
        Assert.Equal(new float[] { 58, 64, 139, 154 }, F.MatMul(a, b).ToArray());
    }

    [Fact]
    public void MatMul_TransposedViews_MatchMaterialisedCopies()
    {
        var a = Tensor.Randn(1, 4, 3);
        var b = Tensor.Randn(2, 5, 4);
        var viaViews = F.MatMul(a.MT, b.MT);
        var viaCopies = F.MatMul(a.MT.Contiguous(), b.MT.Contiguous());
        TensorAssert.Close(viaCopies, viaViews, 1e-6, 1e-6);
        TensorAssert.Close(viaCopies, F.MatMul(a, b, transposeA: true, transposeB: true), 1e-6, 1e-6);
    }

    [Fact]
    public void MatMul_Float32_MatchesFloat64()
    {
        TensorGen.ForAll(Gen.Choose(1, 5).Three().Zip(TensorGen.Seed()), v =>
        {
            var ((m, n, k), seed) = v;
            var a = Tensor.Randn(seed, 2, m, k);
            var b = Tensor.Randn(seed + 1, k, n);
            TensorAssert.Close(F.MatMul(a.To(DType.Float64), b.To(DType.Float64)), F.MatMul(a, b), 1e-5, 1e-5);
        }, seed: 5, count: 20);
    }

    [Fact]
    public void MatMul_BatchedBroadcast_And_Gradient()
    {
        var gen = from shapes in Gen.Elements(
                      (new[] { 2, 3, 4 }, new[] { 4, 2 }),
                      (new[] { 3, 4 }, new[] { 2, 4, 5 }),
                      (new[] { 2, 1, 2, 3 }, new[] { 3, 3, 2 }),
                      (new[] { 4 }, new[] { 4, 3 }),
                      (new[] { 2, 3, 4 }, new[] { 4 }))
                  from seed in TensorGen.Seed()
                  select (shapes, seed);
        TensorGen.ForAll(gen, v =>
        {
            var a = Tensor.Randn(v.shapes.Item1, v.seed, DType.Float64);
            var b = Tensor.Randn(v.shapes.Item2, v.seed + 1, DType.Float64);
            GradCheck.Check(xs => F.MatMul(xs[0], xs[1]), [a, b], op: "matmul");
            GradCheck.Check(xs => F.MatMul(xs[0].To(DType.Float32), xs[1].To(DType.Float32)).To(DType.Float64), [a, b],
                eps: 1e-3, atol: 1e-3, rtol: 1e-3, op: "matmul_f32");
        }, seed: 17, count: 10);
    }

    [Fact]
    public void Linear_MatchesMatMulWithTransposedWeight_AndGradients()
    {
        var x = Tensor.Randn([2, 3, 4], 1, DType.Float64);
        var w = Tensor.Randn([5, 4], 2, DType.Float64);
        var b = Tensor.Randn([5], 3, DType.Float64);
        TensorAssert.Close(F.MatMul(x, w.MT.Contiguous()) + b, F.Linear(x, w, b), 1e-12, 0);
        GradCheck.Check(xs => F.Linear(xs[0], xs[1], xs[2]), [x, w, b], op: "linear");
        Assert.Throws<ArgumentException>(() => F.Linear(x, w.MT));
    }

    [Fact]
    public void MatMul_BFloat16Weights_AreWidened()
    {
        var w = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        var wb = w.To(DType.BFloat16);
        Assert.Equal(DType.BFloat16, wb.DType);
        Assert.Equal(2, DTypeInfo.SizeOf(wb.DType));
        var x = Tensor.FromArray(new float[] { 1, 1, 1 }, 1, 3);
        Assert.Equal(new float[] { 9, 12 }, F.MatMul(x, wb).ToArray());
        Assert.Equal(new float[] { 9, 12 }, F.MatMul(x, w.To(DType.Float16)).ToArray());
    }

    [Fact]
    public void MatMul_IncompatibleShapes_NamesBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Equal("[matmul] shapes [2, 3] and [4, 5] are incompatible", ex.Message);
    }
}
