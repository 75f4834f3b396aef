using System.Numerics.Tensors;
using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;
using Tensor = Ssm.Engine.Tensors.Tensor;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>a &gt; b as a UInt8 mask (broadcasting). Not differentiable.</summary>
    public static Tensor Gt(Tensor a, Tensor b) => Compare("gt", a, b, (x, y) => x > y);
    /// <summary>a ≥ b as a UInt8 mask.</summary>
    public static Tensor Ge(Tensor a, Tensor b) => Compare("ge", a, b, (x, y) => x >= y);
    /// <summary>a &lt; b as a UInt8 mask.</summary>
    public static Tensor Lt(Tensor a, Tensor b) => Compare("lt", a, b, (x, y) => x < y);
    /// <summary>a ≤ b as a UInt8 mask.</summary>
    public static Tensor Le(Tensor a, Tensor b) => Compare("le", a, b, (x, y) => x <= y);
    /// <summary>a == b as a UInt8 mask.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => Compare("eq", a, b, (x, y) => x == y);
    /// <summary>a ≠ b as a UInt8 mask.</summary>
    public static Tensor Ne(Tensor a, Tensor b) => Compare("ne", a, b, (x, y) => x != y);

    private static Tensor Compare(string op, Tensor a, Tensor b, Func<double, double, bool> cmp)
    {
        ElementwiseDriver.CheckSameDType(op, a, b);
        int[] shape = ShapeUtil.Broadcast(op, a.Shape, b.Shape);
        var av = a.Detach().ExpandInternal(shape).Materialize();
        var bv = b.Detach().ExpandInternal(shape).Materialize();
        var y = Tensor.Zeros(shape, DType.UInt8);
        var yd = y.Data<byte>();
        // Masks feed where/masked_fill on small attention-sized tensors; dtype-generic scalar compare.
        for (int i = 0; i < yd.Length; i++)
        {
            double x = Element.Get(av.Storage, av.Offset + i), z = Element.Get(bv.Storage, bv.Offset + i);
            yd[i] = cmp(x, z) ? (byte)1 : (byte)0;
        }
        return Tape.RecordNotDifferentiable(y, op, a, b);
    }

    /// <summary>One-hot encoding of integer <paramref name="index"/> (...) → (..., classes). Not
    /// differentiable.</summary>
    public static Tensor OneHot(Tensor index, int classes, DType dtype = DType.Float32)
    {
        int[] idx = Indexing.Read("one_hot", index);
        var y = Tensor.Zeros([.. index.Shape, classes], dtype);
        for (int i = 0; i < idx.Length; i++) // one write per index
            Element.Set(y.Storage, i * classes + Indexing.Bound("one_hot", idx[i], classes, "class"), 1);
        return Tape.RecordNotDifferentiable(y, "one_hot", index);
    }

    /// <summary>Index of the maximum along <paramref name="axis"/> (first on ties), as Int64. Not
    /// differentiable.</summary>
    public static Tensor Argmax(Tensor x, int axis = -1, bool keepDim = false)
    {
        ElementwiseDriver.CheckFloat("argmax", x);
        int a = ShapeUtil.Axis("argmax", axis, x.Rank);
        var last = x.Detach().Transpose(a, -1).Materialize();
        int n = x.Shape[a];
        if (n == 0) throw new ArgumentException("[argmax] empty axis");
        var y = Tensor.Zeros(last.Shape[..^1], DType.Int64);
        var yd = y.Data<long>();
        for (int r = 0; r < yd.Length; r++)
            yd[r] = x.DType == DType.Float32
                ? TensorPrimitives.IndexOfMax(last.Data<float>().AsSpan(last.Offset + r * n, n))
                : TensorPrimitives.IndexOfMax(last.Data<double>().AsSpan(last.Offset + r * n, n));
        var shape = x.Shape.ToList();
        shape.RemoveAt(a);
        if (a != x.Rank - 1) y = y.Reshape(last.Shape[..^1]).Unsqueeze(-1).Transpose(a, -1).Squeeze(a).Materialize();
        y = y.Reshape(shape.ToArray());
        if (keepDim) y = y.Unsqueeze(a);
        return Tape.RecordNotDifferentiable(y.Detach(), "argmax", x);
    }

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="axis"/>, sorted, with their
    /// Int64 indices. Values are differentiable (through <see cref="Gather"/>); indices are not.</summary>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k, int axis = -1, bool largest = true)
    {
        ElementwiseDriver.CheckFloat("topk", x);
        int a = ShapeUtil.Axis("topk", axis, x.Rank);
        int n = x.Shape[a];
        if (k < 0 || k > n) throw new ArgumentException($"[topk] k={k} out of range for size {n} on axis {a}");
        var moved = x.Transpose(a, -1);
        var vals = moved.Detach().Materialize().ToDoubleArray();
        int rows = n == 0 ? 0 : vals.Length / n;
        var idx = new long[rows * k];
        var order = new int[n];
        var keys = new double[n];
        for (int r = 0; r < rows; r++) // selection per row; top-k is used on small vocab-sized rows
        {
            for (int i = 0; i < n; i++) { order[i] = i; keys[i] = largest ? -vals[r * n + i] : vals[r * n + i]; }
            Array.Sort(keys, order);
            for (int j = 0; j < k; j++) idx[r * k + j] = order[j];
        }
        var indices = Tensor.FromArray(idx, [.. moved.Shape[..^1], k]);
        var values = Gather(moved, -1, indices).Transpose(a, -1);
        var outIdx = indices.Transpose(a, -1).Materialize();
        return (values, Tape.RecordNotDifferentiable(outIdx, "topk_indices", x));
    }
}
