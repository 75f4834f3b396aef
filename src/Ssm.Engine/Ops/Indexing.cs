using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

/// <summary>Reading index tensors (Int32/Int64) into plain int arrays.</summary>
internal static class Indexing
{
    public static int[] Read(string op, Tensor index)
    {
        var c = index.Materialize();
        switch (c.Storage.Data)
        {
            case int[] a: return a.AsSpan(c.Offset, c.NumEl).ToArray();
            case long[] a:
                var o = new int[c.NumEl];
                for (int i = 0; i < o.Length; i++) o[i] = checked((int)a[c.Offset + i]); // narrowing index copy
                return o;
            default: throw new ArgumentException($"[{op}] index tensor must be Int32 or Int64, got {index.DType}");
        }
    }

    public static int Bound(string op, int i, int size, string what)
    {
        int j = i < 0 ? i + size : i;
        if (j < 0 || j >= size) throw new IndexOutOfRangeException($"[{op}] {what} {i} out of range for size {size}");
        return j;
    }
}
