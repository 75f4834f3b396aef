namespace Ssm.Engine.Tensors;

/// <summary>Copies between arbitrary strided layouts of the same shape (materialising views).</summary>
internal static class StridedCopy
{
    public static void Copy(Tensor src, Tensor dst)
    {
        if (src.DType != dst.DType) throw new ArgumentException($"[copy] dtype mismatch {src.DType} -> {dst.DType}");
        switch (src.Storage.Data)
        {
            case float[]: Copy<float>(src, dst); break;
            case double[]: Copy<double>(src, dst); break;
            case int[]: Copy<int>(src, dst); break;
            case long[]: Copy<long>(src, dst); break;
            case ushort[]: Copy<ushort>(src, dst); break;
            case Half[]: Copy<Half>(src, dst); break;
            case byte[]: Copy<byte>(src, dst); break;
            default: throw new InvalidOperationException("[copy] unknown storage");
        }
    }

    private static void Copy<T>(Tensor src, Tensor dst)
    {
        int[] shape = src.Shape;
        if (!shape.AsSpan().SequenceEqual(dst.Shape))
            throw new ArgumentException(
                $"[copy] shapes {ShapeUtil.Format(shape)} and {ShapeUtil.Format(dst.Shape)} differ");
        int n = src.NumEl;
        if (n == 0) return;
        T[] s = src.Storage.As<T>(), d = dst.Storage.As<T>();
        if (src.IsContiguous && dst.IsContiguous)
        {
            if (ReferenceEquals(s, d) && src.Offset == dst.Offset) return;
            Array.Copy(s, src.Offset, d, dst.Offset, n);
            return;
        }
        int rank = shape.Length;
        int inner = shape[rank - 1], ss = src.Strides[rank - 1], ds = dst.Strides[rank - 1];
        int rows = n / inner;
        Par.Rows(rows, inner, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int rem = r, so = src.Offset, dOff = dst.Offset;
                for (int k = rank - 2; k >= 0; k--)
                {
                    int i = rem % shape[k];
                    rem /= shape[k];
                    so += i * src.Strides[k];
                    dOff += i * dst.Strides[k];
                }
                if (ss == 1 && ds == 1) { Array.Copy(s, so, d, dOff, inner); continue; }
                // Gather along a strided innermost dimension: no contiguous run to hand to a vector copy.
                for (int j = 0; j < inner; j++) d[dOff + j * ds] = s[so + j * ss];
            }
        });
    }
}
