// Strided view copy: dst[dstOffset + Σ i_k·dstStride_k] = src[srcOffset + Σ i_k·srcStride_k] for every index
// (i_0, …, i_{R-1}) of a shape of rank R ≤ 6. It materialises permuted, narrowed or expanded (stride 0) views and
// writes into a strided region of a larger tensor (concat, stack).
//   src, dst: flat buffers; shape: (S_0, …, S_{R-1})

namespace Ssm.Engine.Kernels.Layout;

/// <summary>Layout of one strided copy, padded on the left to rank <see cref="MaxRank"/> (size 1, stride 0).
/// Plain int fields so that it passes to an ILGPU kernel as one argument.</summary>
public readonly struct ViewCopyLayout
{
    /// <summary>Highest rank a layout holds.</summary>
    public const int MaxRank = 6;

    /// <summary>Sizes, outermost first.</summary>
    public readonly int S0, S1, S2, S3, S4, S5;
    /// <summary>Source strides.</summary>
    public readonly int A0, A1, A2, A3, A4, A5;
    /// <summary>Destination strides.</summary>
    public readonly int D0, D1, D2, D3, D4, D5;
    /// <summary>First element of the source and of the destination.</summary>
    public readonly int SrcOffset, DstOffset;
    /// <summary>Number of elements copied.</summary>
    public readonly int Count;

    /// <summary>A layout for <paramref name="shape"/> with the given strides and offsets.</summary>
    public ViewCopyLayout(ReadOnlySpan<int> shape, ReadOnlySpan<int> srcStrides, int srcOffset,
        ReadOnlySpan<int> dstStrides, int dstOffset)
    {
        int r = shape.Length;
        if (r > MaxRank)
            throw new ArgumentException($"[view_copy] rank {r} is above {MaxRank}");
        if (srcStrides.Length != r || dstStrides.Length != r)
            throw new ArgumentException(
                $"[view_copy] shape has rank {r}, strides {srcStrides.Length} and {dstStrides.Length}");
        Span<int> s = stackalloc int[MaxRank], a = stackalloc int[MaxRank], d = stackalloc int[MaxRank];
        s.Fill(1);
        long count = 1;
        for (int k = 0; k < r; k++)
        {
            if (shape[k] < 0) throw new ArgumentException($"[view_copy] negative size {shape[k]} on dim {k}");
            s[MaxRank - r + k] = shape[k];
            a[MaxRank - r + k] = srcStrides[k];
            d[MaxRank - r + k] = dstStrides[k];
            count *= shape[k];
        }
        if (count > int.MaxValue) throw new ArgumentException($"[view_copy] {count} elements, too many");
        (S0, S1, S2, S3, S4, S5) = (s[0], s[1], s[2], s[3], s[4], s[5]);
        (A0, A1, A2, A3, A4, A5) = (a[0], a[1], a[2], a[3], a[4], a[5]);
        (D0, D1, D2, D3, D4, D5) = (d[0], d[1], d[2], d[3], d[4], d[5]);
        SrcOffset = srcOffset;
        DstOffset = dstOffset;
        Count = (int)count;
    }

    /// <summary>Source and destination positions of flat (row-major) element <paramref name="i"/>.</summary>
    public void Positions(int i, out int src, out int dst)
    {
        int r = i, c;
        src = SrcOffset;
        dst = DstOffset;
        c = r % S5; r /= S5; src += c * A5; dst += c * D5;
        c = r % S4; r /= S4; src += c * A4; dst += c * D4;
        c = r % S3; r /= S3; src += c * A3; dst += c * D3;
        c = r % S2; r /= S2; src += c * A2; dst += c * D2;
        c = r % S1; r /= S1; src += c * A1; dst += c * D1;
        src += r * A0;
        dst += r * D0;
    }
}

/// <summary>Strided copies between views of flat buffers (<see cref="ViewCopyLayout"/>).</summary>
public static partial class ViewCopy
{
    /// <summary>Checks that every position of <paramref name="l"/> lies inside the two buffers.</summary>
    public static void Validate(in ViewCopyLayout l, long srcLength, long dstLength)
    {
        if (l.Count == 0) return;
        var (sLo, sHi) = Extent(l.SrcOffset, l, src: true);
        var (dLo, dHi) = Extent(l.DstOffset, l, src: false);
        if (sLo < 0 || sHi >= srcLength)
            throw new ArgumentException($"[view_copy] source positions {sLo}..{sHi} outside a buffer of {srcLength}");
        if (dLo < 0 || dHi >= dstLength)
            throw new ArgumentException(
                $"[view_copy] destination positions {dLo}..{dHi} outside a buffer of {dstLength}");
    }

    private static (long Lo, long Hi) Extent(int offset, in ViewCopyLayout l, bool src)
    {
        int[] s = [l.S0, l.S1, l.S2, l.S3, l.S4, l.S5];
        int[] t = src ? [l.A0, l.A1, l.A2, l.A3, l.A4, l.A5] : [l.D0, l.D1, l.D2, l.D3, l.D4, l.D5];
        long lo = offset, hi = offset;
        for (int k = 0; k < ViewCopyLayout.MaxRank; k++)
        {
            long span = (long)(s[k] - 1) * t[k];
            if (span < 0) lo += span;
            else hi += span;
        }
        return (lo, hi);
    }
}
