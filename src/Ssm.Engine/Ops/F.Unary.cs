using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

/// <summary>GELU variants.</summary>
public enum GeluApproximation
{
    /// <summary>Exact: x · Φ(x) with erf.</summary>
    None,
    /// <summary>The tanh approximation (torch <c>approximate="tanh"</c>).</summary>
    Tanh,
}

public static partial class F
{
    private static Tensor Unary<TOp>(string name, Tensor x, TOp op, Func<Tensor, Tensor, Tensor> backward)
        where TOp : struct, IUnaryOp
    {
        var y = ElementwiseDriver.Map(name, x, op);
        return Tape.Record(y, name, [x], g => [backward(g, y)]);
    }

    private static Tensor MapOp<TOp>(string name, Tensor x, TOp op) where TOp : struct, IUnaryOp =>
        ElementwiseDriver.Map(name, x, op);

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor x) => Unary("exp", x, new ExpOp(), (g, y) => Mul(g, y));

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor x) => Unary("log", x, new LogOp(), (g, _) => Div(g, x));

    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor x) => Unary("sqrt", x, new SqrtOp(), (g, y) => Div(Mul(g, y.Scalar(0.5)), y));

    /// <summary>1/√x.</summary>
    public static Tensor Rsqrt(Tensor x) =>
        Unary("rsqrt", x, new RsqrtOp(), (g, y) => Mul(g, Mul(Mul(y, Mul(y, y)), y.Scalar(-0.5))));

    /// <summary>|x| (gradient sign(x), 0 at 0).</summary>
    public static Tensor Abs(Tensor x) => Unary("abs", x, new AbsOp(), (g, _) => Mul(g, MapOp("abs", x, new SignOp())));

    /// <summary>Clamps into [<paramref name="min"/>, <paramref name="max"/>]; gradient 1 inside, 0 outside.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"[clamp] min {min} > max {max}");
        return Unary("clamp", x, new ClampOp(min, max), (g, _) => Mul(g, MapOp("clamp", x, new InRangeOp(min, max))));
    }

    /// <summary>tanh(x).</summary>
    public static Tensor Tanh(Tensor x) =>
        Unary("tanh", x, new TanhOp(), (g, y) => Mul(g, Sub(y.Scalar(1), Mul(y, y))));

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor x) =>
        Unary("sigmoid", x, new SigmoidOp(), (g, y) => Mul(g, Mul(y, Sub(y.Scalar(1), y))));

    /// <summary>x · sigmoid(x) (a.k.a. swish).</summary>
    public static Tensor Silu(Tensor x)
        => Unary("silu", x, new SiluOp(), (g, _) => Mul(g, MapOp("silu", x, new SiluGradOp())));

    /// <summary>log(1 + eˣ), returning x above 20 (torch's threshold).</summary>
    public static Tensor Softplus(Tensor x) =>
        Unary("softplus", x, new SoftplusOp(), (g, _) => Mul(g, MapOp("softplus", x, new SoftplusGradOp())));

    /// <summary>GELU, exact (erf) or tanh-approximated.</summary>
    public static Tensor Gelu(Tensor x, GeluApproximation approximate = GeluApproximation.None) =>
        approximate == GeluApproximation.Tanh
            ? Unary("gelu", x, new GeluTanhOp(), (g, _) => Mul(g, MapOp("gelu", x, new GeluTanhGradOp())))
            : Unary("gelu", x, new GeluErfOp(), (g, _) => Mul(g, MapOp("gelu", x, new GeluErfGradOp())));
}
