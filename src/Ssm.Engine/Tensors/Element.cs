namespace Ssm.Engine.Tensors;

/// <summary>Single-element conversions between a storage slot and double, plus bf16 bit helpers.
/// For indexing, printing and dtype casts; never used inside hot loops.</summary>
internal static class Element
{
    public static double Get(Storage s, int i) => s.Data switch
    {
        float[] a => a[i],
        double[] a => a[i],
        int[] a => a[i],
        long[] a => a[i],
        ushort[] a => BFloat16ToSingle(a[i]),
        Half[] a => (double)a[i],
        byte[] a => a[i],
        _ => throw new InvalidOperationException("[element] unknown storage"),
    };

    public static void Set(Storage s, int i, double v)
    {
        switch (s.Data)
        {
            case float[] a: a[i] = (float)v; break;
            case double[] a: a[i] = v; break;
            case int[] a: a[i] = checked((int)v); break;
            case long[] a: a[i] = checked((long)v); break;
            case ushort[] a: a[i] = SingleToBFloat16((float)v); break;
            case Half[] a: a[i] = (Half)v; break;
            case byte[] a: a[i] = checked((byte)v); break;
            default: throw new InvalidOperationException("[element] unknown storage");
        }
    }

    /// <summary>bf16 bits are the top 16 bits of a float32.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float32 → bf16 with round-to-nearest-even (NaN stays NaN).</summary>
    public static ushort SingleToBFloat16(float v)
    {
        uint u = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v)) return (ushort)((u >> 16) | 0x40);
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }
}
