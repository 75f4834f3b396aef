using System.Numerics;
using System.Numerics.Tensors;

namespace Ssm.Engine.Ops;

// Unary operator structs over contiguous spans. Most forward to TensorPrimitives; a few compose
// several TensorPrimitives passes in the destination span.

internal readonly struct NegOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Negate(x, y);
}

internal readonly struct ExpOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Exp(x, y);
}

internal readonly struct LogOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Log(x, y);
}

internal readonly struct SqrtOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sqrt(x, y);
}

/// <summary>1 / sqrt(x).</summary>
internal readonly struct RsqrtOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sqrt(x, y);
        TensorPrimitives.Divide(T.One, y, y);
    }
}

internal readonly struct AbsOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Abs(x, y);
}

/// <summary>sign(x) ∈ {−1, 0, 1}.</summary>
internal readonly struct SignOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // sign = clamp(x * +inf, -1, 1) would turn 0 into NaN; two selects stay vectorised via Vector<T>.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x[i..]);
                var pos = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), Vector<T>.One,
                        Vector<T>.Zero);
                var neg = Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), Vector<T>.One, Vector<T>.Zero);
                (pos - neg).CopyTo(y[i..]);
            }
        for (; i < x.Length; i++) y[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
    }
}

/// <summary>min(max(x, lo), hi).</summary>
internal readonly struct ClampOp(double lo, double hi) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Max(x, T.CreateChecked(lo), y);
        TensorPrimitives.Min(y, T.CreateChecked(hi), y);
    }
}

/// <summary>1 where lo ≤ x ≤ hi else 0 (clamp's derivative).</summary>
internal readonly struct InRangeOp(double lo, double hi) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T l = T.CreateChecked(lo), h = T.CreateChecked(hi);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x[i..]);
                var ok = Vector.BitwiseAnd(Vector.GreaterThanOrEqual(v, new Vector<T>(l)),
                    Vector.LessThanOrEqual(v, new Vector<T>(h)));
                Vector.ConditionalSelect(ok, Vector<T>.One, Vector<T>.Zero).CopyTo(y[i..]);
            }
        for (; i < x.Length; i++) y[i] = x[i] >= l && x[i] <= h ? T.One : T.Zero;
    }
}

internal readonly struct TanhOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(x, y);
}

internal readonly struct SigmoidOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(x, y);
}

/// <summary>silu(x) = x · sigmoid(x) (KernelMath.Silu, vectorised).</summary>
internal readonly struct SiluOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }
}

/// <summary>d silu/dx = s · (1 + x · (1 − s)) (KernelMath.SiluGrad, vectorised).</summary>
internal readonly struct SiluGradOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] s = ElementwiseDriver.Rent<T>(x.Length);
        var sv = s.AsSpan(0, x.Length);
        TensorPrimitives.Sigmoid(x, sv);
        TensorPrimitives.Subtract(T.One, sv, y);
        TensorPrimitives.MultiplyAdd(x, y, T.One, y);
        TensorPrimitives.Multiply(y, sv, y);
        ElementwiseDriver.Return(s);
    }
}

/// <summary>softplus(x) = log(1 + exp(x)), or x above the threshold 20 (KernelMath.Softplus, vectorised).</summary>
internal readonly struct SoftplusOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T thr = T.CreateChecked(Kernels.Common.KernelMath.SoftplusThreshold);
        TensorPrimitives.Min(x, thr, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Log(y, y);
        SelectAbove(x, thr, x, y);
    }

    /// <summary>y[i] = x[i] &gt; thr ? v[i] : y[i].</summary>
    internal static void SelectAbove<T>(ReadOnlySpan<T> x, T thr, ReadOnlySpan<T> v, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                Vector.ConditionalSelect(Vector.GreaterThan(new Vector<T>(x[i..]), new Vector<T>(thr)),
                    new Vector<T>(v[i..]), new Vector<T>(y[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) if (x[i] > thr) y[i] = v[i];
    }
}

/// <summary>d softplus/dx = sigmoid(x), or 1 above the threshold (KernelMath.SoftplusGrad, vectorised).</summary>
internal readonly struct SoftplusGradOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T thr = T.CreateChecked(Kernels.Common.KernelMath.SoftplusThreshold);
        TensorPrimitives.Sigmoid(x, y);
        T[] ones = ElementwiseDriver.Rent<T>(x.Length);
        ones.AsSpan(0, x.Length).Fill(T.One);
        SoftplusOp.SelectAbove(x, thr, ones.AsSpan(0, x.Length), y);
        ElementwiseDriver.Return(ones);
    }
}
