using System.Numerics;
using System.Numerics.Tensors;

namespace Ssm.Engine.Tensors;

/// <summary>Widening/narrowing between float32 and the half-size storage types (bf16 bits, IEEE half).</summary>
public static class HalfPrecision
{
    /// <summary>bf16 bits → float32 (exact: the bits are the top half of a float32).</summary>
    public static void WidenBFloat16(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= src.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(src[i..]), out Vector<uint> lo, out Vector<uint> hi);
                Vector.AsVectorSingle(Vector.ShiftLeft(lo, 16)).CopyTo(dst[i..]);
                Vector.AsVectorSingle(Vector.ShiftLeft(hi, 16)).CopyTo(dst[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < src.Length; i++) dst[i] = Element.BFloat16ToSingle(src[i]);
    }

    /// <summary>float32 → bf16 bits, round-to-nearest-even (conversion at load/save time, not hot).</summary>
    public static void NarrowBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = Element.SingleToBFloat16(src[i]);
    }

    /// <summary>IEEE half → float32.</summary>
    public static void WidenHalf(ReadOnlySpan<Half> src, Span<float> dst) => TensorPrimitives.ConvertToSingle(src, dst);
}
