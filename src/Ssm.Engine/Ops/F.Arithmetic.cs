using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

/// <summary>The functional op API. Every op validates shapes and dtypes (messages start with
/// <c>[op]</c>), computes eagerly on the CPU and records its own backward rule via
/// <see cref="Tape.Record"/>. Elementwise binary ops broadcast like numpy/torch.</summary>
public static partial class F
{
    /// <summary>a + b (broadcasting).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("add", a, b, new AddOp());
        int[] sa = a.Shape, sb = b.Shape;
        return Tape.Record(y, "add", [a, b], g => [SumTo(g, sa), SumTo(g, sb)]);
    }

    /// <summary>a − b (broadcasting).</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("sub", a, b, new SubOp());
        int[] sa = a.Shape, sb = b.Shape;
        return Tape.Record(y, "sub", [a, b], g => [SumTo(g, sa), b.RequiresGrad ? SumTo(Neg(g), sb) : null]);
    }

    /// <summary>a · b (broadcasting).</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("mul", a, b, new MulOp());
        return Tape.Record(y, "mul", [a, b], g => [
            a.RequiresGrad ? SumTo(Mul(g, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(g, a), b.Shape) : null]);
    }

    /// <summary>a / b (broadcasting).</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("div", a, b, new DivOp());
        return Tape.Record(y, "div", [a, b], g => [
            a.RequiresGrad ? SumTo(Div(g, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Neg(Div(Mul(g, y), b)), b.Shape) : null]);
    }

    /// <summary>a ^ b (broadcasting). The gradient for b uses log(a), so a must be positive there.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("pow", a, b, new PowOp());
        return Tape.Record(y, "pow", [a, b], g => [
            a.RequiresGrad ? SumTo(Mul(g, Mul(b, Pow(a, Sub(b, b.Scalar(1))))), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(g, Mul(y, Log(a))), b.Shape) : null]);
    }

    /// <summary>x ^ p for a constant exponent.</summary>
    public static Tensor Pow(Tensor x, double p)
    {
        var y = ElementwiseDriver.Zip("pow", x, x.Scalar(p), new PowOp());
        return Tape.Record(y, "pow", [x], g => [Mul(g, Mul(Pow(x, p - 1), x.Scalar(p)))]);
    }

    /// <summary>max(a, b) elementwise (broadcasting); ties send the gradient to a.</summary>
    public static Tensor Maximum(Tensor a, Tensor b)
    {
        var y = ElementwiseDriver.Zip("maximum", a, b, new MaxOp());
        return Tape.Record(y, "maximum", [a, b], g =>
        {
            var takeA = ElementwiseDriver.Zip("maximum", y, a, new EqualMaskOp());
            return [SumTo(Mul(g, takeA), a.Shape), SumTo(Mul(g, Sub(takeA.Scalar(1), takeA)), b.Shape)];
        });
    }

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x)
    {
        var y = ElementwiseDriver.Map("neg", x, new NegOp());
        return Tape.Record(y, "neg", [x], g => [Neg(g)]);
    }

    /// <summary>Sums <paramref name="g"/> over broadcast dimensions so it has <paramref name="shape"/>
    /// (the adjoint of broadcasting <paramref name="shape"/> to g's shape).</summary>
    public static Tensor SumTo(Tensor g, int[] shape)
    {
        if (g.Shape.AsSpan().SequenceEqual(shape)) return g;
        int lead = g.Rank - shape.Length;
        if (lead < 0)
            throw new ArgumentException(
                $"[sum_to] cannot reduce {ShapeUtil.Format(g.Shape)} to {ShapeUtil.Format(shape)}");
        var axes = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.Shape[i] != 1)) axes.Add(i);
        var s = axes.Count > 0 ? Sum(g, axes.ToArray(), keepDim: true) : g;
        return s.Reshape(shape);
    }

    /// <summary>Converts to <paramref name="dtype"/> (a copy); gradients flow back between floating dtypes.</summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x;
        var xc = x.Materialize();
        var y = Tensor.Zeros(x.Shape, dtype);
        CastInto(xc, y);
        if (!Tensor.IsFloating(dtype)) return Tape.RecordNotDifferentiable(y, $"cast_to_{dtype}", x);
        // From an index/mask dtype: pass the gradient on so the op that produced x reports itself.
        if (!Tensor.IsFloating(x.DType)) return Tape.Record(y, "cast", [x], g => [g]);
        DType from = x.DType;
        return Tape.Record(y, "cast", [x], g => [Cast(g, from)]);
    }

    private static void CastInto(Tensor x, Tensor y)
    {
        int n = x.NumEl, xo = x.Offset;
        switch (x.Storage.Data, y.Storage.Data)
        {
            case (float[] s, double[] d): for (int i = 0; i < n; i++) d[i] = s[xo + i]; return; // widening copy
            case (double[] s, float[] d): for (int i = 0; i < n; i++) d[i] = (float)s[xo + i]; return;
            case (ushort[] s, float[] d): HalfPrecision.WidenBFloat16(s.AsSpan(xo, n), d); return;
            case (Half[] s, float[] d): HalfPrecision.WidenHalf(s.AsSpan(xo, n), d); return;
            case (float[] s, ushort[] d): HalfPrecision.NarrowBFloat16(s.AsSpan(xo, n), d); return;
            case (float[] s, Half[] d):
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(s.AsSpan(xo, n), d);
                return;
        }
        // Remaining pairs (index/mask dtypes, half <-> double) are rare conversions: per-element is fine.
        for (int i = 0; i < n; i++) Element.Set(y.Storage, i, Element.Get(x.Storage, xo + i));
    }
}
