// Vectorised natural log and the per-token softplus / sigmoid built on Exp2, for the scan's row passes
// (dt = softplus(delta + bias), the silu gate). Log: Cephes logf (x = m·2^e, m in [√½, √2), degree-8
// polynomial; ~1 ulp for normal positive inputs). Scalar tails use the KernelMath scalar forms.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Common;

public static partial class KernelMath
{
    private const float L0 = 7.0376836292e-2f, L1 = -1.1514610310e-1f, L2 = 1.1676998740e-1f;
    private const float L3 = -1.2420140846e-1f, L4 = 1.4249322787e-1f, L5 = -1.6668057665e-1f;
    private const float L6 = 2.0000714765e-1f, L7 = -2.4999993993e-1f, L8 = 3.3333331174e-1f;
    private const float LnQ1 = -2.12194440e-4f, LnQ2 = 0.693359375f, SqrtHalf = 0.707106781186547524f;

    /// <summary>ln(x) per lane for positive normal x (inputs below the smallest normal are treated as it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Log(Vector<float> x)
    {
        x = Vector.MaxNative(x, new Vector<float>(1.17549435e-38f));
        Vector<int> bits = Vector.As<float, int>(x);
        Vector<float> e = Vector.ConvertToSingle(Vector.ShiftRightArithmetic(bits, 23) - new Vector<int>(126));
        // Mantissa in [0.5, 1).
        Vector<float> m = Vector.As<int, float>((bits & new Vector<int>(~0x7f800000)) | new Vector<int>(0x3f000000));
        Vector<int> small = Vector.LessThan(m, new Vector<float>(SqrtHalf));
        e -= Vector.ConditionalSelect(small, Vector<float>.One, Vector<float>.Zero);
        m = m - Vector<float>.One + Vector.ConditionalSelect(small, m, Vector<float>.Zero);
        Vector<float> z = m * m;
        Vector<float> y = Vector.FusedMultiplyAdd(new Vector<float>(L0), m, new Vector<float>(L1));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L2));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L3));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L4));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L5));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L6));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L7));
        y = Vector.FusedMultiplyAdd(y, m, new Vector<float>(L8));
        y = y * m * z;
        y = Vector.FusedMultiplyAdd(e, new Vector<float>(LnQ1), y);
        y = Vector.FusedMultiplyAdd(z, new Vector<float>(-0.5f), y);
        return Vector.FusedMultiplyAdd(e, new Vector<float>(LnQ2), m + y);
    }

    /// <summary>v ← softplus(v) in place (vector lanes, scalar tail).</summary>
    public static void SoftplusInPlace(Span<float> v)
    {
        int w = Vector<float>.Count, i = 0;
        Vector<float> thr = new(SoftplusThreshold), l2e = new(Log2E);
        for (; i + w <= v.Length; i += w)
        {
            var x = new Vector<float>(v[i..]);
            Vector<float> sp = Log(Vector<float>.One + Exp2(Vector.MinNative(x, thr) * l2e));
            Vector.ConditionalSelect(Vector.GreaterThan(x, thr), x, sp).CopyTo(v[i..]);
        }
        for (; i < v.Length; i++) v[i] = Softplus(v[i]);
    }

    /// <summary>y ← y · silu(z) = y · z · sigmoid(z) (vector lanes, scalar tail).</summary>
    public static void MultiplySilu(Span<float> y, ReadOnlySpan<float> z)
    {
        int w = Vector<float>.Count, i = 0;
        Vector<float> nl2e = new(-Log2E);
        for (; i + w <= y.Length; i += w)
        {
            var zv = new Vector<float>(z[i..]);
            Vector<float> sig = Vector<float>.One / (Vector<float>.One + Exp2(zv * nl2e));
            (new Vector<float>(y[i..]) * zv * sig).CopyTo(y[i..]);
        }
        for (; i < y.Length; i++) y[i] *= Silu(z[i]);
    }
}
