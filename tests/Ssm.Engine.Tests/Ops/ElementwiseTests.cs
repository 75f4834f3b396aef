using FsCheck.Fluent;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops;

public class ElementwiseTests
{
    private static Tensor R(int[] shape, int seed) => Tensor.Randn(shape, seed, DType.Float64);

    public static IEnumerable<object[]> BinaryOps()
        => new[] { "add", "sub", "mul", "div", "pow", "maximum" }.Select(x => new object[] { x });

    private static Tensor Binary(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "pow" => F.Pow(a, b),
        "maximum" => F.Maximum(a, b),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryGradient_MatchesFiniteDifferences_OverBroadcastShapes(string op)
    {
        TensorGen.ForAll(TensorGen.BroadcastPair().Zip(TensorGen.Seed()), v =>
        {
            var ((sa, sb), seed) = v;
            var a = R(sa, seed);
            var b = R(sb, seed + 1);
            if (op is "div") b = F.Abs(b) + 0.5;
            if (op is "pow") a = F.Abs(a) + 0.5;
            GradCheck.Check(xs => Binary(op, xs[0], xs[1]), [a, b], op: op);
        }, seed: 1234, count: 15);
    }

    [Fact]
    public void Add_BroadcastsBiasOverRows()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 10, 20, 30 }, 3);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (x + b).ToArray());
        var col = Tensor.FromArray(new float[] { 100, 200 }, 2, 1);
        Assert.Equal(new float[] { 101, 102, 103, 204, 205, 206 }, (x + col).ToArray());
    }

    [Fact]
    public void Binary_IncompatibleShapes_NamesOpAndBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) * Tensor.Zeros(4));
        Assert.Contains("[mul]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void Binary_DTypeMismatch_IsClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2) + Tensor.Zeros([2], DType.Float64));
        Assert.Contains("dtype mismatch", ex.Message);
    }

    [Fact]
    public void Binary_LargeInput_ParallelChunksMatchSmallComputation()
    {
        int n = 3 * Par.Grain + 17;
        var a = Tensor.Rand(1, n);
        var b = Tensor.Rand(2, 1);
        var y = (a * b).ToArray();
        float[] av = a.ToArray();
        float bv = b.ToArray()[0];
        for (int i = 0; i < n; i += 997) Assert.Equal(av[i] * bv, y[i]);
        Assert.Equal(av[n - 1] * bv, y[n - 1]);
    }

    public static IEnumerable<object[]> UnaryOps() => new[]
    {
        "neg", "exp", "log", "sqrt", "rsqrt", "abs", "pow3", "clamp", "tanh", "sigmoid", "silu", "softplus",
        "gelu", "gelu_tanh",
    }.Select(x => new object[] { x });

    private static Tensor Unary(string op, Tensor x) => op switch
    {
        "neg" => -x,
        "exp" => F.Exp(x),
        "log" => F.Log(x),
        "sqrt" => F.Sqrt(x),
        "rsqrt" => F.Rsqrt(x),
        "abs" => F.Abs(x),
        "pow3" => F.Pow(x, 3),
        "clamp" => F.Clamp(x, -0.5, 0.7),
        "tanh" => F.Tanh(x),
        "sigmoid" => F.Sigmoid(x),
        "silu" => F.Silu(x),
        "softplus" => F.Softplus(x),
        "gelu" => F.Gelu(x),
        "gelu_tanh" => F.Gelu(x, GeluApproximation.Tanh),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryGradient_MatchesFiniteDifferences(string op)
    {
        TensorGen.ForAll(TensorGen.Shape().Zip(TensorGen.Seed()), v =>
        {
            var x = R(v.Item1, v.Item2) * 2.0;
            if (op is "log" or "sqrt" or "rsqrt") x = F.Abs(x) + 0.3;
            if (op is "abs" or "clamp") x = AwayFrom(x, op == "abs" ? [0.0] : [-0.5, 0.7]);
            GradCheck.Check(t => Unary(op, t), x, op: op);
        }, seed: 99, count: 10);
    }

    // Kinks make finite differences meaningless within eps of them.
    private static Tensor AwayFrom(Tensor x, double[] kinks)
    {
        var d = x.ToDoubleArray();
        for (int i = 0; i < d.Length; i++)
            foreach (double k in kinks)
                if (Math.Abs(d[i] - k) < 1e-3) d[i] = k + 0.01;
        return Tensor.FromArray(d, x.Shape);
    }

    [Fact]
    public void Activations_MatchKernelMathScalars()
    {
        var xs = new float[] { -30, -5, -1, -0.1f, 0, 0.3f, 2, 19.9f, 20.1f, 40 };
        var x = Tensor.FromArray(xs, xs.Length);
        var sp = F.Softplus(x).ToArray();
        var si = F.Silu(x).ToArray();
        var sg = F.Sigmoid(x).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(KernelMath.Softplus(xs[i]), sp[i], 1e-5f);
            Assert.Equal(KernelMath.Silu(xs[i]), si[i], 1e-5f);
            Assert.Equal(KernelMath.Sigmoid(xs[i]), sg[i], 1e-6f);
        }
        Assert.Equal(40f, sp[^1]); // above the threshold softplus is the identity
    }

    [Fact]
    public void Gelu_MatchesKnownValues()
    {
        var x = Tensor.FromArray(new double[] { -1, 0, 1, 2 }, 4);
        // torch.nn.functional.gelu(torch.tensor([-1., 0., 1., 2.], dtype=torch.float64))
        TensorAssert.Close(Tensor.FromArray(new[] { -0.15865525393145707, 0, 0.8413447460685429,
                1.9544997361036416 }, 4),
            F.Gelu(x), 1e-12, 0);
        TensorAssert.Close(Tensor.FromArray(new[] { -0.15880800939172324, 0, 0.8411919906082768,
                1.9545976940871788 }, 4),
            F.Gelu(x, GeluApproximation.Tanh), 1e-12, 0);
    }

    [Fact]
    public void Unary_OnNonContiguousView_UsesLogicalOrder()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3).MT;
        Assert.Equal(new float[] { -1, -4, -2, -5, -3, -6 }, (-x).ToArray());
    }

    [Fact]
    public void Unary_IntegerInput_IsClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Exp(Tensor.FromArray(new[] { 1, 2 }, 2)));
        Assert.Contains("[exp]", ex.Message);
        Assert.Contains("Int32", ex.Message);
    }
}
