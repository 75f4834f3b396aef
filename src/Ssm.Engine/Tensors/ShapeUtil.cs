namespace Ssm.Engine.Tensors;

/// <summary>Shape arithmetic shared by the tensor and the ops: sizes, strides, axes, broadcasting.</summary>
public static class ShapeUtil
{
    /// <summary>Product of the dimensions (1 for a scalar shape []).</summary>
    public static int NumEl(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException(
            $"[shape] {Format(shape.ToArray())} has more than 2^31 elements");
        return (int)n;
    }

    /// <summary>Row-major (C-contiguous) element strides.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return s;
    }

    /// <summary>"[2, 3]".</summary>
    public static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Resolves a possibly negative axis against a rank; the message names the op.</summary>
    public static int Axis(string op, int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"[{op}] axis {axis} is out of range for rank {rank}");
        return a;
    }

    /// <summary>The numpy/torch broadcast of two shapes; the message names the op and both shapes.</summary>
    public static int[] Broadcast(string op, int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"[{op}] shapes {Format(a)} and {Format(b)} cannot be broadcast");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>Resolves one -1 entry of a reshape target.</summary>
    public static int[] InferReshape(string op, int[] from, int[] to)
    {
        int n = NumEl(from), known = 1, infer = -1;
        var o = (int[])to.Clone();
        for (int i = 0; i < o.Length; i++)
        {
            if (o[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"[{op}] only one -1 allowed in {Format(to)}");
                infer = i;
            }
            else if (o[i] < 0) throw new ArgumentException($"[{op}] negative size in {Format(to)}");
            else known *= o[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || n % known != 0)
                throw new ArgumentException($"[{op}] cannot reshape {Format(from)} into {Format(to)}");
            o[infer] = n / known;
        }
        if (NumEl(o) != n) throw new ArgumentException(
            $"[{op}] cannot reshape {Format(from)} ({n} elements) into {Format(to)}");
        return o;
    }
}
