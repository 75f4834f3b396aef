using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>A <c>torch.XStorage</c> class named by a GLOBAL; it only labels a persistent id with a dtype and
/// can never be called.</summary>
internal sealed record TorchStorageType(string Name, DType DType)
{
    public override string ToString() => $"torch.{Name}";
}

/// <summary>A storage named by a persistent id <c>('storage', type, key, location, numel)</c>; its bytes are the
/// zip entry <c>&lt;archive&gt;/data/&lt;key&gt;</c>.</summary>
internal sealed record TorchStorageRef(TorchStorageType Type, string Key, string Location, long Numel)
{
    public override string ToString() => $"storage '{Key}'";
}

/// <summary>What <c>_rebuild_tensor_v2</c> describes: a view (offset, sizes, strides in elements) into a
/// storage.</summary>
internal sealed record TorchTensorRecord(TorchStorageRef Storage, long Offset, long[] Size, long[] Stride)
{
    public override string ToString() => "torch.Tensor";
}

/// <summary>The storage types a checkpoint may name, and the view arithmetic (bounds, row-major
/// materialisation) shared by the reader and its validation.</summary>
internal static class TorchStorage
{
    private static readonly Dictionary<string, TorchStorageType> Types = new[]
    {
        new TorchStorageType("FloatStorage", DType.Float32),
        new TorchStorageType("DoubleStorage", DType.Float64),
        new TorchStorageType("HalfStorage", DType.Float16),
        new TorchStorageType("BFloat16Storage", DType.BFloat16),
        new TorchStorageType("LongStorage", DType.Int64),
        new TorchStorageType("IntStorage", DType.Int32),
        new TorchStorageType("ByteStorage", DType.UInt8),
        new TorchStorageType("BoolStorage", DType.UInt8), // one byte per element, 0 or 1
    }.ToDictionary(t => t.Name);

    /// <summary>Names of the accepted storage classes, for messages.</summary>
    public static string AcceptedNames => string.Join(", ", Types.Keys.Select(k => "torch." + k));

    /// <summary>The storage type of a <c>torch.XStorage</c> class name, or null when it is not one.</summary>
    public static TorchStorageType? Find(string name) => Types.GetValueOrDefault(name);

    /// <summary>Validates a persistent id <c>('storage', storage_type, key, location, numel)</c>.</summary>
    public static TorchStorageRef ParsePersistentId(object? pid)
    {
        if (pid is not object?[] t || t.Length != 5 || t[0] is not "storage")
            throw new InvalidDataException($"persistent id {Describe(pid)} is not ('storage', type, key, "
                + "location, numel)");
        if (t[1] is not TorchStorageType type)
            throw new InvalidDataException($"persistent id storage type is a {PickleReader.TypeName(t[1])}, "
                + "not a torch storage class");
        if (t[2] is not string key || key.Length == 0 || key.Contains('/') || key.Contains('\\') || key == "..")
            throw new InvalidDataException($"persistent id key {Describe(t[2])} is not a plain entry name");
        if (t[3] is not string location)
            throw new InvalidDataException($"persistent id location is a {PickleReader.TypeName(t[3])}");
        if (t[4] is not long numel || numel < 0)
            throw new InvalidDataException($"persistent id numel {Describe(t[4])} is not a non-negative int");
        return new TorchStorageRef(type, key, location, numel);
    }

    private static string Describe(object? v) => v is string s ? $"'{s}'" : PickleReader.TypeName(v);

    /// <summary>Number of elements of a shape, or -1 when it exceeds <paramref name="cap"/>.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape, long cap)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d == 0) return 0;
            UInt128 p = (UInt128)(ulong)n * (ulong)d;
            if (p > (UInt128)(ulong)cap) return -1;
            n = (long)p;
        }
        return n;
    }

    /// <summary>Index of the last storage element a non-empty view touches:
    /// offset + Σ (size_k − 1)·stride_k, or -1 on overflow past <paramref name="cap"/>.</summary>
    public static long LastIndex(long offset, ReadOnlySpan<int> shape, ReadOnlySpan<long> stride, long cap)
    {
        Int128 last = offset;
        for (int k = 0; k < shape.Length; k++) last += (Int128)(shape[k] - 1) * stride[k];
        return last > cap ? -1 : (long)last;
    }

    /// <summary>True when the strides are row-major for the shape (dims of size 1 may have any stride).</summary>
    public static bool IsRowMajor(ReadOnlySpan<int> shape, ReadOnlySpan<long> stride)
    {
        long expected = 1;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            if (shape[k] != 1 && stride[k] != expected) return false;
            expected *= shape[k];
        }
        return true;
    }

    /// <summary>Copies the view's elements, in row-major order, out of <paramref name="window"/>, which holds
    /// the storage from the view's first element (its storage offset) on. Element [i0, i1, ..] is window element
    /// Σ i_k·stride_k.</summary>
    public static void Gather(ReadOnlySpan<byte> window, int elemSize, ReadOnlySpan<int> shape,
        ReadOnlySpan<long> stride, Span<byte> dst)
    {
        int rank = shape.Length;
        if (dst.Length == 0) return;
        if (rank == 0)
        {
            window[..elemSize].CopyTo(dst);
            return;
        }
        // Innermost dimension: one block copy when its stride is 1, element copies otherwise.
        int inner = shape[rank - 1];
        long innerStride = stride[rank - 1];
        int rowBytes = inner * elemSize;
        Span<int> index = stackalloc int[rank];
        long src = 0; // window element of the current row's first element
        for (int row = 0; row * (long)rowBytes < dst.Length; row++)
        {
            var rowDst = dst.Slice(row * rowBytes, rowBytes);
            if (innerStride == 1) window.Slice((int)(src * elemSize), rowBytes).CopyTo(rowDst);
            else
                for (int i = 0; i < inner; i++)
                    window.Slice((int)((src + i * innerStride) * elemSize), elemSize)
                        .CopyTo(rowDst.Slice(i * elemSize, elemSize));
            // Advance the outer multi-index (an odometer over dims 0..rank-2).
            for (int k = rank - 2; k >= 0; k--)
            {
                src += stride[k];
                if (++index[k] < shape[k]) break;
                src -= stride[k] * shape[k];
                index[k] = 0;
            }
        }
    }
}
