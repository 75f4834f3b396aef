using Ssm.Engine.Devices;
using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Joins tensors along an existing <paramref name="axis"/>; all other dims must agree.</summary>
    public static Tensor Concat(Tensor[] xs, int axis = 0)
    {
        if (xs.Length == 0) throw new ArgumentException("[concat] needs at least one tensor");
        var first = xs[0];
        int a = ShapeUtil.Axis("concat", axis, first.Rank);
        int total = 0;
        foreach (var t in xs)
        {
            ElementwiseDriver.CheckSameDType("concat", first, t);
            bool ok = t.Rank == first.Rank;
            for (int d = 0; ok && d < t.Rank; d++) ok = d == a || t.Shape[d] == first.Shape[d];
            if (!ok)
                throw new ArgumentException(
                    $"[concat] shapes {ShapeUtil.Format(first.Shape)} and {ShapeUtil.Format(t.Shape)} " +
                    $"differ outside axis {a}");
            total += t.Shape[a];
        }
        var shape = first.Shape.ToArray();
        shape[a] = total;
        var starts = new int[xs.Length];
        for (int i = 1; i < xs.Length; i++) starts[i] = starts[i - 1] + xs[i - 1].Shape[a];
        Tensor y;
        if (xs.Any(t => t.Device.IsGpu())) y = DeviceOps.Concat(xs, a, shape);
        else
        {
            y = Tensor.Zeros(shape, first.DType);
            for (int i = 0; i < xs.Length; i++)
                StridedCopy.Copy(xs[i].Detach(), y.Detach().Narrow(a, starts[i], xs[i].Shape[a]));
        }
        return Tape.Record(y, "concat", xs,
            g => xs.Select((t, i) => (Tensor?)g.Narrow(a, starts[i], t.Shape[a])).ToArray());
    }

    /// <summary>Splits into pieces of the given <paramref name="sizes"/> along <paramref name="axis"/>
    /// (views).</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int axis = 0)
    {
        int a = ShapeUtil.Axis("split", axis, x.Rank);
        if (sizes.Sum() != x.Shape[a] || sizes.Any(s => s < 0))
            throw new ArgumentException($"[split] sizes {ShapeUtil.Format(sizes)} do not add up to {x.Shape[a]} " +
                $"(axis {a} of {ShapeUtil.Format(x.Shape)})");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, off = 0; i < sizes.Length; off += sizes[i], i++) parts[i] = x.Narrow(a, off, sizes[i]);
        return parts;
    }

    /// <summary>Splits into chunks of <paramref name="chunk"/> along <paramref name="axis"/> (the last may be
    /// smaller).</summary>
    public static Tensor[] Split(Tensor x, int chunk, int axis = 0)
    {
        if (chunk <= 0) throw new ArgumentException($"[split] chunk size must be positive, got {chunk}");
        int n = x.Shape[ShapeUtil.Axis("split", axis, x.Rank)];
        var sizes = Enumerable.Range(0, (n + chunk - 1) / chunk).Select(i => Math.Min(chunk, n - i * chunk)).ToArray();
        return Split(x, sizes, axis);
    }

    /// <summary>Stacks same-shaped tensors along a new <paramref name="axis"/>.</summary>
    public static Tensor Stack(Tensor[] xs, int axis = 0)
    {
        if (xs.Length == 0) throw new ArgumentException("[stack] needs at least one tensor");
        foreach (var t in xs)
            if (!t.Shape.AsSpan().SequenceEqual(xs[0].Shape))
                throw new ArgumentException(
                    $"[stack] shapes {ShapeUtil.Format(xs[0].Shape)} and {ShapeUtil.Format(t.Shape)} differ");
        int a = ShapeUtil.Axis("stack", axis, xs[0].Rank + 1);
        return Concat(xs.Select(t => t.Unsqueeze(a)).ToArray(), a);
    }

    /// <summary>Constant padding, torch order: <paramref name="pads"/> = (left, right) for the last dim, then
    /// for the one before, and so on.</summary>
    public static Tensor Pad(Tensor x, int[] pads, double value = 0)
    {
        if (pads.Length % 2 != 0 || pads.Length / 2 > x.Rank)
            throw new ArgumentException($"[pad] {pads.Length} pad values for a tensor of rank {x.Rank}");
        if (pads.Any(p => p < 0)) throw new ArgumentException($"[pad] negative padding {ShapeUtil.Format(pads)}");
        var shape = x.Shape.ToArray();
        for (int i = 0; i < pads.Length / 2; i++) shape[x.Rank - 1 - i] += pads[2 * i] + pads[2 * i + 1];
        var y = Tensor.Full(shape, value, x.DType);
        StridedCopy.Copy(x.Detach(), Inner(y.Detach(), x.Shape, pads));
        int[] xs = x.Shape;
        return Tape.Record(y, "pad", [x], g => [Inner(g, xs, pads)]);
    }

    private static Tensor Inner(Tensor t, int[] shape, int[] pads)
    {
        for (int i = 0; i < pads.Length / 2; i++)
        {
            int d = t.Rank - 1 - i;
            t = t.Narrow(d, pads[2 * i], shape[d]);
        }
        return t;
    }
}
