using Ssm.Engine.Devices;
using Ssm.Engine.Autograd;
using Ssm.Engine.Ops;

namespace Ssm.Engine.Tensors;

// Views share storage with their base: only shape, strides and offset change. Each records a node whose
// backward maps the output gradient back to the base shape (reshape back, inverse permute, scatter into
// zeros through the same view, or sum over expanded dimensions).
public sealed partial class Tensor
{
    private Tensor MakeView(string name, int[] shape, int[] strides, int offset, Func<Tensor, Tensor> backward)
    {
        var t = new Tensor(Storage, shape, strides, offset);
        return Tape.Record(t, name, [this], g => [backward(g)]);
    }

    /// <summary>Backward of an indexing view: zeros of this shape with g written through the same view (on g's
    /// device).</summary>
    private Tensor ScatterThrough(Tensor g, Func<Tensor, Tensor> view)
    {
        var z = g.Device.IsGpu() ? ZerosOn(g.Device, Shape.ToArray()) : Zeros(Shape, g.DType);
        view(z).CopyFrom(g);
        return z;
    }

    /// <summary>A contiguous tensor with the same values: this tensor itself when already contiguous.</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        if (Device.IsGpu()) return Tape.Record(DeviceOps.Dense("contiguous", this), "contiguous", [this], g => [g]);
        var o = Zeros(Shape, DType);
        StridedCopy.Copy(this, o);
        return Tape.Record(o, "contiguous", [this], g => [g]);
    }

    /// <summary>Same data with a new shape (one entry may be -1). A view when contiguous, otherwise a copy.</summary>
    public Tensor Reshape(params int[] shape)
    {
        int[] s = ShapeUtil.InferReshape("reshape", Shape, shape);
        var src = IsContiguous ? this : Contiguous();
        int[] from = Shape;
        return src.MakeView("reshape", s, ShapeUtil.ContiguousStrides(s), src.Offset, g => g.Reshape(from));
    }

    /// <summary>Like <see cref="Reshape"/> but never copies: throws on a non-contiguous tensor.</summary>
    public Tensor View(params int[] shape)
    {
        if (!IsContiguous)
            throw new InvalidOperationException(
                $"[view] tensor of shape {ShapeUtil.Format(Shape)} with strides {ShapeUtil.Format(Strides)} is not " +
                "contiguous; use Reshape (copies) or Contiguous() first");
        return Reshape(shape);
    }

    /// <summary>Flattens to one dimension.</summary>
    public Tensor Flatten() => Reshape(-1);

    /// <summary>Reorders dimensions: output dim i is input dim <paramref name="dims"/>[i].</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
            throw new ArgumentException($"[permute] {dims.Length} dims given for a tensor of rank {Rank}");
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new int[Rank];
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = ShapeUtil.Axis("permute", dims[i], Rank);
            if (seen[d]) throw new ArgumentException($"[permute] dim {d} repeated in {ShapeUtil.Format(dims)}");
            seen[d] = true;
            shape[i] = Shape[d];
            strides[i] = Strides[d];
            inverse[d] = i;
        }
        return MakeView("permute", shape, strides, Offset, g => g.Permute(inverse));
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = Enumerable.Range(0, Rank).ToArray();
        int a = ShapeUtil.Axis("transpose", dim0, Rank), b = ShapeUtil.Axis("transpose", dim1, Rank);
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>Transpose of the last two dimensions (matrix transpose).</summary>
    public Tensor MT => Rank < 2 ? throw new InvalidOperationException("[mT] needs rank >= 2") : Transpose(-2, -1);

    /// <summary>Elements start, start+step, ... below end along <paramref name="dim"/> (Python slice semantics
    /// for negative and out-of-range bounds; step &gt; 0).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = ShapeUtil.Axis("slice", dim, Rank), n = Shape[d];
        if (step <= 0) throw new ArgumentException($"[slice] step must be positive, got {step}");
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        int len = e > s ? (e - s + step - 1) / step : 0;
        var shape = (int[])Shape.Clone();
        var strides = (int[])Strides.Clone();
        shape[d] = len;
        strides[d] *= step;
        return MakeView("slice", shape, strides, Offset + s * Strides[d],
            g => ScatterThrough(g, z => z.Detach().Slice(d, s, e, step)));
    }

    /// <summary>The <paramref name="length"/> elements from <paramref name="start"/> along <paramref
    /// name="dim"/>.</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeUtil.Axis("narrow", dim, Rank);
        if (start < 0 || length < 0 || start + length > Shape[d])
            throw new ArgumentOutOfRangeException(nameof(start),
                $"[narrow] range [{start}, {start + length}) exceeds dim {d} of size {Shape[d]} " +
                $"in {ShapeUtil.Format(Shape)}");
        return Slice(d, start, start + length);
    }

    /// <summary>Index <paramref name="index"/> along <paramref name="dim"/>, removing that dimension.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = ShapeUtil.Axis("select", dim, Rank);
        int i = index < 0 ? index + Shape[d] : index;
        if (i < 0 || i >= Shape[d])
            throw new ArgumentOutOfRangeException(
                nameof(index), $"[select] index {index} out of range for size {Shape[d]}");
        return Narrow(d, i, 1).Squeeze(d);
    }

    /// <summary>Reverses the order of elements along each of <paramref name="dims"/> (negative strides).</summary>
    public Tensor Flip(params int[] dims)
    {
        var strides = (int[])Strides.Clone();
        int offset = Offset;
        var axes = dims.Select(x => ShapeUtil.Axis("flip", x, Rank)).Distinct().ToArray();
        foreach (int d in axes)
        {
            if (Shape[d] > 0) offset += (Shape[d] - 1) * Strides[d];
            strides[d] = -Strides[d];
        }
        return MakeView("flip", (int[])Shape.Clone(), strides, offset, g => g.Flip(axes));
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.Axis("unsqueeze", dim, Rank + 1);
        var shape = Shape.ToList();
        var strides = Strides.ToList();
        shape.Insert(d, 1);
        strides.Insert(d, d < Rank ? Strides[d] * Shape[d] : 1);
        int[] from = Shape;
        return MakeView("unsqueeze", shape.ToArray(), strides.ToArray(), Offset, g => g.Reshape(from));
    }

    /// <summary>Removes size-1 dimensions (all of them, or only <paramref name="dims"/>).</summary>
    public Tensor Squeeze(params int[] dims)
    {
        var drop = dims.Length == 0
            ? Enumerable.Range(0, Rank).Where(i => Shape[i] == 1).ToHashSet()
            : dims.Select(x => ShapeUtil.Axis("squeeze", x, Rank)).Where(i => Shape[i] == 1).ToHashSet();
        var keep = Enumerable.Range(0, Rank).Where(i => !drop.Contains(i)).ToArray();
        int[] from = Shape;
        return MakeView("squeeze", keep.Select(i => Shape[i]).ToArray(), keep.Select(i => Strides[i]).ToArray(),
            Offset, g => g.Reshape(from));
    }

    /// <summary>Broadcasts to <paramref name="shape"/> without copying (stride 0 on expanded dims);
    /// -1 keeps a size.</summary>
    public Tensor Expand(params int[] shape)
    {
        var t = ExpandInternal(shape);
        if (ReferenceEquals(t, this)) return this;
        int[] from = Shape;
        return Tape.Record(new Tensor(Storage, t.Shape, t.Strides, Offset), "expand", [this], g => [F.SumTo(g, from)]);
    }

    /// <summary>Alias of <see cref="Expand"/>.</summary>
    public Tensor BroadcastTo(params int[] shape) => Expand(shape);

    internal Tensor ExpandInternal(int[] shape)
    {
        if (shape.Length < Rank)
            throw new ArgumentException(
                $"[expand] cannot expand {ShapeUtil.Format(Shape)} to {ShapeUtil.Format(shape)}");
        int lead = shape.Length - Rank;
        var strides = new int[shape.Length];
        var outShape = new int[shape.Length];
        bool same = lead == 0;
        for (int i = 0; i < shape.Length; i++)
        {
            int src = i < lead ? 1 : Shape[i - lead];
            int want = shape[i] == -1 && i >= lead ? src : shape[i];
            if (src != want && src != 1)
                throw new ArgumentException(
                    $"[expand] cannot expand {ShapeUtil.Format(Shape)} to {ShapeUtil.Format(shape)}");
            outShape[i] = want;
            strides[i] = i < lead || (src == 1 && want != 1) ? 0 : Strides[i - lead];
            if (i >= lead && want != src) same = false;
        }
        return same ? this : new Tensor(Storage, outShape, strides, Offset);
    }
}

public sealed partial class Tensor
{
    /// <summary>Contiguous data without recording an autograd node (for op internals).</summary>
    internal Tensor Materialize()
    {
        if (IsContiguous) return this;
        if (Device.IsGpu()) return DeviceOps.Dense("contiguous", this);
        var o = Zeros(Shape, DType);
        StridedCopy.Copy(this, o);
        return o;
    }
}
