// Vectorised 2^x for the exp-bound scan loops. exp(a·dt) is evaluated as exp2((a·log2 e)·dt) with the
// factor folded into A once per channel (as the CUDA kernels do), so each update costs one Exp2.
// Range reduction: x = n + f, n = round(x), f in [-1/2, 1/2]; 2^f by the Cephes exp2f polynomial
// (relative error about 1.7e-7, i.e. 1-2 ulp); 2^n built in the exponent bits. Inputs are clamped to
// [-126.49, 127.49], so results below 2^-126.49 are returned as that (normal) value instead of a
// denormal or 0; the difference is below 1e-38 absolute. The 512-bit form on AVX-512 builds 2^n with vscalefps,
// which overflows correctly, so it clamps only from below: above 2^128 it returns +∞ where the other forms
// return 2^127.49 (the same bits everywhere below 127.49).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.Common;

public static partial class KernelMath
{
    /// <summary>log2(e): exp(x) = exp2(x · Log2E).</summary>
    public const float Log2E = 1.44269504088896341f;

    private const float Exp2Lo = -126.49f, Exp2Hi = 127.49f;
    private const float P0 = 1.535336188319500e-4f, P1 = 1.339887440266574e-3f, P2 = 9.618437357674640e-3f;
    private const float Shifter = 12582912f;                        // 1.5 · 2^23
    private const int ExponentBias = unchecked((127 - 0x4B400000) << 23);
    private const float P3 = 5.550332471162809e-2f, P4 = 2.402264791363012e-1f, P5 = 6.931472028550421e-1f;

    /// <summary>2^x per lane (1-2 ulp; see the file header for the clamped range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp2(Vector<float> x)
    {
        x = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(Exp2Lo)), new Vector<float>(Exp2Hi));
        // Round to nearest by the 1.5·2^23 shifter: the low mantissa bits of t then hold n + 2^22.
        Vector<float> t = x + new Vector<float>(Shifter);
        Vector<float> f = x - (t - new Vector<float>(Shifter));
        Vector<float> p = Vector.FusedMultiplyAdd(new Vector<float>(P0), f, new Vector<float>(P1));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(P2));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(P3));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(P4));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(P5));
        p = Vector.FusedMultiplyAdd(p, f, Vector<float>.One);
        // (bits(t) − bits(1.5·2^23) + 127) << 23 = bits(t) << 23 + ExponentBias (mod 2^32): the float 2^n.
        Vector<int> scale = Vector.ShiftLeft(Vector.As<float, int>(t), 23) + new Vector<int>(ExponentBias);
        return p * Vector.As<int, float>(scale);
    }

    /// <summary>2^x per lane of a 512-bit vector: the same constants and, below 2^127.49, the same bits as the
    /// <see cref="Vector{T}"/> form (one register holds a whole N = 16 state row); +∞ above 2^128 on AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2(Vector512<float> x)
    {
        if (Avx512F.IsSupported)
        {
            x = Vector512.MaxNative(x, Vector512.Create(Exp2Lo));
            // The same n, f and polynomial in fewer instructions: vrndscaleps rounds to nearest even (as the
            // shifter does) and vscalefps multiplies by 2^n exactly, as the exponent-bit product does, and gives
            // +∞ on overflow (so no upper clamp).
            if (Avx512DQ.IsSupported)
            {
                // vreduceps gives r = x − round(x) in one instruction where vrndscaleps takes two µops on some
                // cores; n = x − r is then exact.
                Vector512<float> r = Avx512DQ.Reduce(x, 0);
                return Avx512F.Scale(Exp2Fraction(r), x - r);
            }
            Vector512<float> n = Avx512F.RoundScale(x, 0);
            return Avx512F.Scale(Exp2Fraction(x - n), n);
        }
        x = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Exp2Lo)), Vector512.Create(Exp2Hi));
        Vector512<float> t = x + Vector512.Create(Shifter);
        Vector512<float> f = x - (t - Vector512.Create(Shifter));
        Vector512<int> scale = Vector512.ShiftLeft(t.AsInt32(), 23) + Vector512.Create(ExponentBias);
        return Exp2Fraction(f) * scale.AsSingle();
    }

    /// <summary>2^f for f in [−½, ½] (the polynomial of both 512-bit paths).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp2Fraction(Vector512<float> f)
    {
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), f, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(P5));
        return Vector512.FusedMultiplyAdd(p, f, Vector512<float>.One);
    }

    /// <summary>2^x for one value, with the same polynomial and clamping as the vector form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp2(float x)
    {
        x = MathF.Min(MathF.Max(x, Exp2Lo), Exp2Hi);
        float n = MathF.Round(x), f = x - n;
        float p = MathF.FusedMultiplyAdd(P0, f, P1);
        p = MathF.FusedMultiplyAdd(p, f, P2);
        p = MathF.FusedMultiplyAdd(p, f, P3);
        p = MathF.FusedMultiplyAdd(p, f, P4);
        p = MathF.FusedMultiplyAdd(p, f, P5);
        p = MathF.FusedMultiplyAdd(p, f, 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }
}
