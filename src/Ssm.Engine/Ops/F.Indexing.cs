using Ssm.Engine.Devices;
using System.Numerics.Tensors;
using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;
using Tensor = Ssm.Engine.Tensors.Tensor;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Rows of <paramref name="x"/> picked along <paramref name="axis"/> by a 1-D Int32/Int64
    /// <paramref name="index"/> (negative indices count from the end). Gradients are index-added back.</summary>
    public static Tensor IndexSelect(Tensor x, int axis, Tensor index)
    {
        if (index.Rank != 1) throw new ArgumentException(
            $"[index_select] index must be 1-D, got {ShapeUtil.Format(index.Shape)}");
        int a = ShapeUtil.Axis("index_select", axis, x.Rank);
        int n = x.Shape[a];
        int[] idx = Indexing.Read("index_select", index)
            .Select(i => Indexing.Bound("index_select", i, n, "index")).ToArray();
        if (x.Device.IsGpu()) return DeviceOps.IndexSelect(x, a, idx);
        var xc = x.Materialize();
        var shape = x.Shape.ToArray();
        shape[a] = idx.Length;
        var y = Tensor.Zeros(shape, x.DType);
        int inner = 1;
        for (int d = a + 1; d < x.Rank; d++) inner *= x.Shape[d];
        int outer = n == 0 ? 0 : x.NumEl / (n * inner);
        var src = xc.Storage.Data;
        var dst = y.Storage.Data;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++) // one block copy per picked row
                Array.Copy(src, xc.Offset + (o * n + idx[j]) * inner, dst, (o * idx.Length + j) * inner, inner);
        int[] xs = x.Shape;
        return Tape.Record(y, "index_select", [x, index],
            g => [IndexAdd(g.Materialize(), xs, a, idx, outer, inner), null]);
    }

    private static Tensor IndexAdd(Tensor g, int[] shape, int axis, int[] idx, int outer, int inner)
    {
        var z = Tensor.Zeros(shape, g.DType);
        int n = shape[axis];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++)
            {
                int d = (o * n + idx[j]) * inner, s = g.Offset + (o * idx.Length + j) * inner;
                if (g.DType == DType.Float32)
                    AddInto(z.Data<float>().AsSpan(d, inner), g.Data<float>().AsSpan(s, inner));
                else AddInto(z.Data<double>().AsSpan(d, inner), g.Data<double>().AsSpan(s, inner));
            }
        return z;
    }

    private static void AddInto<T>(Span<T> dst, ReadOnlySpan<T> src)
        where T : System.Numerics.IAdditionOperators<T, T, T>, System.Numerics.IAdditiveIdentity<T, T>
        => TensorPrimitives.Add(dst, src, dst);

    /// <summary>Embedding lookup: rows of <paramref name="weight"/> (V, D) for integer <paramref name="ids"/> (...)
    /// → (..., D).</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids)
    {
        if (weight.Rank != 2) throw new ArgumentException(
            $"[embedding] weight must be (V, D), got {ShapeUtil.Format(weight.Shape)}");
        int[] shape = [.. ids.Shape, weight.Shape[1]];
        return IndexSelect(weight, 0, ids.Reshape(-1)).Reshape(shape);
    }

    /// <summary>torch.gather: y[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (and likewise for any axis).
    /// <paramref name="index"/> has x's rank and no larger sizes on the other axes.</summary>
    public static Tensor Gather(Tensor x, int axis, Tensor index)
    {
        int a = ShapeUtil.Axis("gather", axis, x.Rank);
        if (index.Rank != x.Rank)
            throw new ArgumentException(
                $"[gather] index {ShapeUtil.Format(index.Shape)} must have the rank of x {ShapeUtil.Format(x.Shape)}");
        for (int d = 0; d < x.Rank; d++)
            if (d != a && index.Shape[d] > x.Shape[d])
                throw new ArgumentException(
                    $"[gather] index {ShapeUtil.Format(index.Shape)} exceeds x {ShapeUtil.Format(x.Shape)} on dim {d}");
        int[] idx = Indexing.Read("gather", index);
        var pos = new int[idx.Length]; // storage position in x of each output element
        var istr = ShapeUtil.ContiguousStrides(index.Shape);
        for (int e = 0; e < idx.Length; e++) // irregular addressing: one position per element
        {
            int p = x.Offset, rem = e;
            for (int d = 0; d < x.Rank; d++)
            {
                int i = rem / istr[d];
                rem %= istr[d];
                if (d == a) i = Indexing.Bound("gather", idx[e], x.Shape[a], "index");
                p += i * x.Strides[d];
            }
            pos[e] = p;
        }
        var y = Tensor.Zeros(index.Shape, x.DType);
        for (int e = 0; e < pos.Length; e++) Element.Set(y.Storage, e, Element.Get(x.Storage, pos[e]));
        int[] xs = x.Shape, xst = ShapeUtil.ContiguousStrides(x.Shape);
        int xo = x.Offset;
        int[] xstr = x.Strides;
        return Tape.Record(y, "gather", [x, index], g =>
        {
            var z = Tensor.Zeros(xs, g.DType);
            var gd = g.ToDoubleArray();
            for (int e = 0; e < pos.Length; e++) // scatter-add: targets may repeat
            {
                int p = 0, rem = e;
                for (int d = 0; d < xs.Length; d++)
                {
                    int i = rem / istr[d];
                    rem %= istr[d];
                    if (d == a) i = Indexing.Bound("gather", idx[e], xs[a], "index");
                    p += i * xst[d];
                }
                Element.Set(z.Storage, p, Element.Get(z.Storage, p) + gd[e]);
            }
            return [z, null];
        });
    }

    /// <summary>Elementwise select: <paramref name="a"/> where <paramref name="condition"/> (UInt8 mask, non-zero =
    /// true) else <paramref name="b"/>; all three broadcast.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType != DType.UInt8) throw new ArgumentException(
            $"[where] condition must be UInt8, got {condition.DType}");
        ElementwiseDriver.CheckSameDType("where", a, b);
        int[] shape = ShapeUtil.Broadcast("where", ShapeUtil.Broadcast("where", condition.Shape, a.Shape), b.Shape);
        var cv = condition.ExpandInternal(shape).Materialize();
        var c = cv.Data<byte>().AsSpan(cv.Offset, cv.NumEl);
        var av = a.Detach().ExpandInternal(shape).Materialize();
        var bv = b.Detach().ExpandInternal(shape).Materialize();
        var y = Tensor.Zeros(shape, a.DType);
        var cond = condition.Detach();
        // Mask bytes and value lanes differ in width; this select is memory-bound, so a plain loop serves.
        switch (y.Storage.Data)
        {
            case float[] yf:
                var af = av.Span<float>();
                var bf = bv.Span<float>();
                for (int i = 0; i < c.Length; i++) yf[i] = c[i] != 0 ? af[i] : bf[i];
                break;
            case double[] yd:
                var ad = av.Span<double>();
                var bd = bv.Span<double>();
                for (int i = 0; i < c.Length; i++) yd[i] = c[i] != 0 ? ad[i] : bd[i];
                break;
            default:
                for (int i = 0; i < c.Length; i++)
                    Element.Set(y.Storage, i, c[i] != 0 ? Element.Get(av.Storage, av.Offset + i)
                        : Element.Get(bv.Storage, bv.Offset + i));
                break;
        }
        return Tape.Record(y, "where", [a, b], g =>
        {
            var zero = Tensor.Zeros([], g.DType);
            return [SumTo(Where(cond, g, zero), a.Shape), SumTo(Where(cond, zero, g), b.Shape)];
        });
    }

    /// <summary>x with <paramref name="value"/> where <paramref name="mask"/> (UInt8) is set (e.g. −∞ for
    /// masking).</summary>
    public static Tensor MaskedFill(Tensor x, Tensor mask, double value) => Where(mask, x.Scalar(value), x);
}
