using System.Numerics;
using System.Numerics.Tensors;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Tensors;
using Tensor = Ssm.Engine.Tensors.Tensor;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Sum of all elements (a 0-d tensor).</summary>
    public static Tensor Sum(Tensor x) => Sum(x, AllAxes(x), keepDim: false);

    /// <summary>Sum along one axis.</summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false) => Sum(x, [axis], keepDim);

    /// <summary>Sum along <paramref name="axes"/>; reduced dims are kept as size 1 when
    /// <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int[] axes, bool keepDim = false)
    {
        ElementwiseDriver.CheckFloat("sum", x);
        int[] ax = NormAxes("sum", axes, x.Rank);
        if (x.Device.IsGpu()) return DeviceOps.Reduce("sum", x, ax, keepDim, max: false);
        var y = x.Materialize();
        foreach (int a in ax.OrderByDescending(a => a)) y = ReduceAxis(y, a, max: false);
        int[] kept = y.Shape;
        if (!keepDim) y = y.Detach().Reshape(Drop(x.Shape, ax));
        int[] xs = x.Shape;
        return Tape.Record(y.Detach(), "sum", [x], g => [g.Reshape(kept).Expand(xs)]);
    }

    /// <summary>Mean of all elements.</summary>
    public static Tensor Mean(Tensor x) => Mean(x, AllAxes(x), keepDim: false);

    /// <summary>Mean along one axis.</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false) => Mean(x, [axis], keepDim);

    /// <summary>Mean along <paramref name="axes"/>.</summary>
    public static Tensor Mean(Tensor x, int[] axes, bool keepDim = false)
    {
        int n = Count(x, NormAxes("mean", axes, x.Rank));
        return Div(Sum(x, axes, keepDim), x.Scalar(n));
    }

    /// <summary>Variance along <paramref name="axes"/> with Bessel's <paramref name="correction"/>
    /// (1 = unbiased, as torch's default; 0 = population).</summary>
    public static Tensor Var(Tensor x, int[] axes, int correction = 1, bool keepDim = false)
    {
        int n = Count(x, NormAxes("var", axes, x.Rank));
        if (n - correction <= 0) throw new ArgumentException($"[var] {n} elements with correction {correction}");
        var d = Sub(x, Mean(x, axes, keepDim: true));
        return Div(Sum(Mul(d, d), axes, keepDim), x.Scalar(n - correction));
    }

    /// <summary>Variance along one axis.</summary>
    public static Tensor Var(Tensor x, int axis, int correction = 1, bool keepDim = false)
        => Var(x, [axis], correction, keepDim);

    /// <summary>Unbiased variance of all elements (use the axes overload for another correction).</summary>
    public static Tensor Var(Tensor x) => Var(x, AllAxes(x), 1);

    /// <summary>Maximum of all elements.</summary>
    public static Tensor Max(Tensor x) => Max(x, AllAxes(x), keepDim: false);

    /// <summary>Maximum along one axis.</summary>
    public static Tensor Max(Tensor x, int axis, bool keepDim = false) => Max(x, [axis], keepDim);

    /// <summary>Maximum along <paramref name="axes"/>; the gradient is shared equally among tied maxima.</summary>
    public static Tensor Max(Tensor x, int[] axes, bool keepDim = false)
    {
        ElementwiseDriver.CheckFloat("max", x);
        int[] ax = NormAxes("max", axes, x.Rank);
        if (x.Device.IsGpu()) return DeviceOps.Reduce("max", x, ax, keepDim, max: true);
        if (x.NumEl == 0) throw new ArgumentException("[max] empty tensor");
        var y = x.Materialize();
        foreach (int a in ax.OrderByDescending(a => a)) y = ReduceAxis(y, a, max: true);
        var kept = y;
        if (!keepDim) y = y.Detach().Reshape(Drop(x.Shape, ax));
        return Tape.Record(y.Detach(), "max", [x], g =>
        {
            var mask = ElementwiseDriver.Zip("max", x, kept, new EqualMaskOp());
            var count = Sum(mask, ax, keepDim: true);
            return [Div(Mul(mask, g.Reshape(kept.Shape)), count)];
        });
    }

    private static int[] AllAxes(Tensor x) => Enumerable.Range(0, x.Rank).ToArray();

    private static int[] NormAxes(string op, int[] axes, int rank)
    {
        var a = axes.Select(x => ShapeUtil.Axis(op, x, rank)).ToArray();
        if (a.Distinct().Count() != a.Length) throw new ArgumentException(
            $"[{op}] repeated axis in {ShapeUtil.Format(axes)}");
        return a;
    }

    private static int Count(Tensor x, int[] axes) => axes.Aggregate(1, (n, a) => n * x.Shape[a]);

    private static int[] Drop(int[] shape, int[] axes) =>
        Enumerable.Range(0, shape.Length).Where(i => !axes.Contains(i)).Select(i => shape[i]).ToArray();

    /// <summary>Sum or max over one axis of a contiguous tensor, keeping it as size 1.</summary>
    private static Tensor ReduceAxis(Tensor x, int axis, bool max)
    {
        var o = x.Shape.ToArray();
        o[axis] = 1;
        var y = Tensor.Zeros(o, x.DType);
        if (x.DType == DType.Float32) ReduceAxis<float>(x, y, axis, max);
        else ReduceAxis<double>(x, y, axis, max);
        return y;
    }

    // x viewed as (outer, n, inner): inner == 1 reduces each contiguous row with one call; otherwise
    // rows of length inner are accumulated with vector adds / maxes.
    private static void ReduceAxis<T>(Tensor x, Tensor y, int axis, bool max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape[axis];
        int inner = 1;
        for (int k = axis + 1; k < x.Rank; k++) inner *= x.Shape[k];
        int outer = n == 0 || inner == 0 ? 0 : x.NumEl / (n * inner);
        T[] xs = x.Data<T>(), ys = y.Data<T>();
        int xo = x.Offset;
        if (n == 0) return; // sum over an empty axis is 0 (max rejects empty tensors earlier)
        if (inner == 1)
        {
            Par.Rows(outer, n, (o0, o1) =>
            {
                for (int o = o0; o < o1; o++)
                {
                    var row = xs.AsSpan(xo + o * n, n);
                    ys[o] = max ? TensorPrimitives.Max(row) : TensorPrimitives.Sum(row);
                }
            });
            return;
        }
        Par.Rows(outer, n * inner, (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
            {
                var dst = ys.AsSpan(o * inner, inner);
                xs.AsSpan(xo + o * n * inner, inner).CopyTo(dst);
                for (int i = 1; i < n; i++)
                {
                    var src = xs.AsSpan(xo + (o * n + i) * inner, inner);
                    if (max) TensorPrimitives.Max(dst, src, dst);
                    else TensorPrimitives.Add(dst, src, dst);
                }
            }
        });
    }
}
