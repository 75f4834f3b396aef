// Vectorised natural log and the per-token softplus / sigmoid built on Exp2, for the scan's row passes
// (dt = softplus(delta + bias), the silu gate). Log: Cephes logf (x = m·2^e, m in [√½, √2), degree-8
// polynomial; ~1 ulp for normal positive inputs). Scalar tails use the KernelMath scalar forms.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>ln(x) per lane of a 512-bit vector: the same steps and constants as the <see cref="Vector{T}"/>
    /// form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        x = Vector512.MaxNative(x, Vector512.Create(1.17549435e-38f));
        Vector512<int> bits = x.AsInt32();
        Vector512<float> e =
            Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126));
        Vector512<float> m = ((bits & Vector512.Create(~0x7f800000)) | Vector512.Create(0x3f000000)).AsSingle();
        Vector512<float> small = Vector512.LessThan(m, Vector512.Create(SqrtHalf));
        e -= small & Vector512<float>.One;
        m = m - Vector512<float>.One + (small & m);
        Vector512<float> z = m * m;
        Vector512<float> y = Vector512.FusedMultiplyAdd(Vector512.Create(L0), m, Vector512.Create(L1));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L2));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L3));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L4));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L5));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L6));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L7));
        y = Vector512.FusedMultiplyAdd(y, m, Vector512.Create(L8));
        y = y * m * z;
        y = Vector512.FusedMultiplyAdd(e, Vector512.Create(LnQ1), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        return Vector512.FusedMultiplyAdd(e, Vector512.Create(LnQ2), m + y);
    }

    /// <summary>v ← softplus(v) in place (vector lanes, scalar tail).</summary>
    public static void SoftplusInPlace(Span<float> v) => Softplus(v, 0f, v);

    /// <summary>dst = softplus(x + bias) (vector lanes, scalar tail); <paramref name="dst"/> may be
    /// <paramref name="x"/>.</summary>
    // Fully optimised from the first call: its tier-0 form would call Log and Exp2 out of line.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softplus(ReadOnlySpan<float> x, float bias, Span<float> dst)
    {
        if (dst.Length < x.Length) throw new ArgumentException("softplus: destination shorter than source");
        int w = Vector<float>.Count, i = 0, n = x.Length;
        ref float x0 = ref MemoryMarshal.GetReference(x), d0 = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> thr5 = Vector512.Create(SoftplusThreshold), l2e5 = Vector512.Create(Log2E);
            Vector512<float> b5 = Vector512.Create(bias);
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref x0, (nuint)i) + b5;
                Vector512<float> sp = Log(Vector512<float>.One + Exp2(Vector512.MinNative(v, thr5) * l2e5));
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, thr5), v, sp).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        Vector<float> thr = new(SoftplusThreshold), l2e = new(Log2E), bv = new(bias);
        for (; i + w <= n; i += w)
        {
            Vector<float> v = Vector.LoadUnsafe(ref x0, (nuint)i) + bv;
            Vector<float> sp = Log(Vector<float>.One + Exp2(Vector.MinNative(v, thr) * l2e));
            Vector.ConditionalSelect(Vector.GreaterThan(v, thr), v, sp).StoreUnsafe(ref d0, (nuint)i);
        }
        for (; i < n; i++) dst[i] = Softplus(x[i] + bias);
    }

    /// <summary>y ← y · silu(z) = y · z · sigmoid(z) (vector lanes, scalar tail).</summary>
    // Fully optimised from the first call: its tier-0 form would call Exp2 out of line.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplySilu(Span<float> y, ReadOnlySpan<float> z)
    {
        int w = Vector<float>.Count, i = 0;
        Vector<float> nl2e = new(-Log2E);
        if (Vector512.IsHardwareAccelerated)
        {
            ref float y0 = ref MemoryMarshal.GetReference(y);
            ref float z0 = ref MemoryMarshal.GetReference(z);
            Vector512<float> nl2e5 = Vector512.Create(-Log2E);
            for (; i + 16 <= y.Length; i += 16)
            {
                Vector512<float> zv = Vector512.LoadUnsafe(ref z0, (nuint)i);
                Vector512<float> sig = Vector512<float>.One / (Vector512<float>.One + Exp2(zv * nl2e5));
                (Vector512.LoadUnsafe(ref y0, (nuint)i) * zv * sig).StoreUnsafe(ref y0, (nuint)i);
            }
        }
        for (; i + w <= y.Length; i += w)
        {
            var zv = new Vector<float>(z[i..]);
            Vector<float> sig = Vector<float>.One / (Vector<float>.One + Exp2(zv * nl2e));
            (new Vector<float>(y[i..]) * zv * sig).CopyTo(y[i..]);
        }
        for (; i < y.Length; i++) y[i] *= Silu(z[i]);
    }

    /// <summary>v ← silu(v) = v · sigmoid(v) in place (vector lanes, scalar tail).</summary>
    public static void SiluInPlace(Span<float> v)
    {
        int w = Vector<float>.Count, i = 0;
        ref float v0 = ref MemoryMarshal.GetReference(v);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> nl2e5 = Vector512.Create(-Log2E);
            for (; i + 16 <= v.Length; i += 16)
            {
                Vector512<float> x = Vector512.LoadUnsafe(ref v0, (nuint)i);
                (x / (Vector512<float>.One + Exp2(x * nl2e5))).StoreUnsafe(ref v0, (nuint)i);
            }
        }
        Vector<float> nl2e = new(-Log2E);
        for (; i + w <= v.Length; i += w)
        {
            Vector<float> x = Vector.LoadUnsafe(ref v0, (nuint)i);
            (x / (Vector<float>.One + Exp2(x * nl2e))).StoreUnsafe(ref v0, (nuint)i);
        }
        for (; i < v.Length; i++) v[i] = Silu(v[i]);
    }
}
