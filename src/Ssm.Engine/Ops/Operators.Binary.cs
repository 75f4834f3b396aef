using System.Numerics;
using System.Numerics.Tensors;

namespace Ssm.Engine.Ops;

// Binary operator structs: each forwards its three forms to TensorPrimitives (vectorised, with tails).

/// <summary>x + y.</summary>
internal readonly struct AddOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(y, x, d);
}

/// <summary>x − y.</summary>
internal readonly struct SubOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>x · y.</summary>
internal readonly struct MulOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>x / y.</summary>
internal readonly struct DivOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(x, y, d);
}

/// <summary>x ^ y.</summary>
internal readonly struct PowOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Pow(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Pow(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Pow(x, y, d);
}

/// <summary>max(x, y) elementwise.</summary>
internal readonly struct MaxOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(x, y, d);
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(x, y, d);
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(y, x, d);
}

/// <summary>1 where x == y else 0 (used for max-reduction gradients).</summary>
internal readonly struct EqualMaskOp : IBinaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Comparison mask: only in backward of max; a Vector<T> select keeps it vectorised.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                Vector.ConditionalSelect(Vector.Equals(new Vector<T>(x[i..]), new Vector<T>(y[i..])),
                    Vector<T>.One, Vector<T>.Zero).CopyTo(d[i..]);
        for (; i < x.Length; i++) d[i] = x[i] == y[i] ? T.One : T.Zero;
    }
    public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = x[i] == y ? T.One : T.Zero; // rare broadcast form, backward only
    }
    public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => Apply(y, x, d);
}
