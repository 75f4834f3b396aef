using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

/// <summary>Ops on broadcast (stride-0) or strided views must equal the same ops on materialised copies.</summary>
public class BroadcastPropertiesTests
{
    private static readonly string[] Ops = ["add", "sub", "mul", "div", "maximum", "pow", "where"];

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "maximum" => F.Maximum(a, b),
        "pow" => F.Pow(F.Abs(a) + 0.5, b),
        _ => F.Where(F.Gt(a, b), a, b),
    };

    [Fact]
    public void BinaryOp_OnBroadcastViews_EqualsOpOnMaterialisedCopies()
    {
        var gen = from pair in TensorGen.BroadcastPair(4, 5)
                  from op in Gen.Elements(Ops)
                  from seed in TensorGen.Seed()
                  select (pair, op, seed);
        TensorGen.ForAll(gen, v =>
        {
            var a = Tensor.Randn(v.seed, v.pair.A);
            var b = Tensor.Randn(v.seed + 1, v.pair.B);
            int[] shape = ShapeUtil.Broadcast("test", a.Shape, b.Shape);
            var direct = Apply(v.op, a, b);
            var copies = Apply(v.op, a.Expand(shape).Contiguous(), b.Expand(shape).Contiguous());
            Assert.Equal(shape, direct.Shape);
            TensorAssert.Close(copies, direct, 0, v.op == "pow" ? 1e-6 : 0, v.op);
        }, seed: 2024, count: 200);
    }

    [Fact]
    public void BinaryOp_OnPermutedViews_EqualsOpOnContiguousCopies()
    {
        var gen = from shape in TensorGen.Shape(2, 4, 4)
                  from perm in TensorGen.Permutation(shape.Length)
                  from op in Gen.Elements(Ops)
                  from seed in TensorGen.Seed()
                  select (shape, perm, op, seed);
        TensorGen.ForAll(gen, v =>
        {
            var a = Tensor.Randn(v.seed, v.shape).Permute(v.perm);
            var b = Tensor.Randn(v.seed + 7, v.shape).Flip(0).Permute(v.perm);
            TensorAssert.Close(Apply(v.op, a.Contiguous(), b.Contiguous()), Apply(v.op, a, b), 0,
                    v.op == "pow" ? 1e-6 : 0);
            TensorAssert.Equal(F.Exp(a.Contiguous()), F.Exp(a));
        }, seed: 77, count: 100);
    }

    [Fact]
    public void Gradients_ThroughBroadcast_EqualSumOverBroadcastDims()
    {
        var gen = from pair in TensorGen.BroadcastPair(3, 4)
                  from seed in TensorGen.Seed()
                  select (pair, seed);
        TensorGen.ForAll(gen, v =>
        {
            var a = Tensor.Randn(v.pair.A, v.seed, DType.Float64).WithRequiresGrad();
            var b = Tensor.Randn(v.pair.B, v.seed + 1, DType.Float64).WithRequiresGrad();
            F.Sum(a * b).Backward();
            int[] shape = ShapeUtil.Broadcast("test", a.Shape, b.Shape);
            var expectA = F.SumTo(b.Detach().Expand(shape).Contiguous(), a.Shape);
            TensorAssert.Close(expectA, a.Grad!, 1e-12, 1e-12, "dA");
            Assert.Equal(b.Shape, b.Grad!.Shape);
        }, seed: 31, count: 100);
    }
}
