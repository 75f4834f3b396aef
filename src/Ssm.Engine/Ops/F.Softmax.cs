using Ssm.Engine.Devices;
using System.Numerics;
using System.Numerics.Tensors;
using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;
using Tensor = Ssm.Engine.Tensors.Tensor;

namespace Ssm.Engine.Ops;

/// <summary>How a per-element loss is reduced.</summary>
public enum Reduction
{
    /// <summary>Mean over the counted (non-ignored) elements.</summary>
    Mean,
    /// <summary>Sum over the elements.</summary>
    Sum,
    /// <summary>One loss per element (ignored ones are 0).</summary>
    None,
}

public static partial class F
{
    /// <summary>exp(x) / Σ exp(x) along <paramref name="axis"/> (max-subtracted for stability).</summary>
    public static Tensor Softmax(Tensor x, int axis = -1) => AlongLastAxis(x, axis, "softmax", SoftmaxLast);

    /// <summary>x − logΣexp(x) along <paramref name="axis"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => AlongLastAxis(x, axis, "log_softmax", LogSoftmaxLast);

    private static Tensor AlongLastAxis(Tensor x, int axis, string op, Func<Tensor, Tensor> last)
    {
        ElementwiseDriver.CheckFloat(op, x);
        if (x.Rank == 0) throw new ArgumentException($"[{op}] needs rank >= 1");
        int a = ShapeUtil.Axis(op, axis, x.Rank);
        return a == x.Rank - 1 ? last(x) : last(x.Transpose(a, -1)).Transpose(a, -1);
    }

    private static Tensor SoftmaxLast(Tensor x)
    {
        var y = SoftmaxRows(x, log: false);
        return Tape.Record(y, "softmax", [x], g => [Mul(y, Sub(g, Sum(Mul(g, y), -1, keepDim: true)))]);
    }

    private static Tensor LogSoftmaxLast(Tensor x)
    {
        var y = SoftmaxRows(x, log: true);
        return Tape.Record(y, "log_softmax", [x], g => [Sub(g, Mul(Exp(y), Sum(g, -1, keepDim: true)))]);
    }

    private static Tensor SoftmaxRows(Tensor x, bool log)
    {
        if (x.Device.IsGpu())
            return log ? throw DeviceOps.Unsupported("log_softmax", x.Device) : DeviceOps.Softmax(x);
        var xc = x.Materialize();
        var y = Tensor.Zeros(x.Shape, x.DType);
        int n = x.Shape[^1];
        if (n == 0 || x.NumEl == 0) return y;
        if (x.DType == DType.Float32) SoftmaxRows<float>(xc, y, n, log);
        else SoftmaxRows<double>(xc, y, n, log);
        return y;
    }

    private static void SoftmaxRows<T>(Tensor x, Tensor y, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] xs = x.Data<T>(), ys = y.Data<T>();
        int xo = x.Offset, rows = x.NumEl / n;
        Par.Rows(rows, n, (r0, r1) =>
        {
            T[]? tmp = log ? ElementwiseDriver.Rent<T>(n) : null;
            for (int r = r0; r < r1; r++)
            {
                var xr = xs.AsSpan(xo + r * n, n);
                var yr = ys.AsSpan(r * n, n);
                TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
                if (log)
                {
                    var t = tmp.AsSpan(0, n);
                    TensorPrimitives.Exp(yr, t);
                    TensorPrimitives.Subtract(yr, T.Log(TensorPrimitives.Sum<T>(t)), yr);
                }
                else
                {
                    TensorPrimitives.Exp(yr, yr);
                    TensorPrimitives.Divide(yr, TensorPrimitives.Sum<T>(yr), yr);
                }
            }
            if (tmp is not null) ElementwiseDriver.Return(tmp);
        });
    }

    /// <summary>Cross-entropy of <paramref name="logits"/> (..., C) against integer class
    /// <paramref name="targets"/> (...) (Int32 or Int64). Targets equal to <paramref name="ignoreIndex"/>
    /// contribute nothing and are not counted by <see cref="Reduction.Mean"/>.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex = -100,
        Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank < 1) throw new ArgumentException("[cross_entropy] logits need rank >= 1");
        int c = logits.Shape[^1];
        int[] rowShape = logits.Shape[..^1];
        if (!targets.Shape.AsSpan().SequenceEqual(rowShape))
            throw new ArgumentException(
                $"[cross_entropy] targets {ShapeUtil.Format(targets.Shape)} do not match logits " +
                $"{ShapeUtil.Format(logits.Shape)} without the class dim");
        int[] t = Indexing.Read("cross_entropy", targets);
        int rows = t.Length, valid = 0;
        foreach (int v in t)
        {
            if (v == ignoreIndex) continue;
            if (v < 0 || v >= c)
                throw new ArgumentOutOfRangeException(
                    nameof(targets), $"[cross_entropy] target {v} out of range for {c} classes");
            valid++;
        }
        Tensor lsm;
        using (Tape.NoGrad()) lsm = LogSoftmax(logits.Reshape(rows, c), -1);
        var perRow = Tensor.Zeros([rows], logits.DType);
        for (int r = 0; r < rows; r++) // one pick per row
            if (t[r] != ignoreIndex) perRow[r] = -lsm[r, t[r]];
        Tensor y = reduction switch
        {
            Reduction.None => perRow.Reshape(rowShape),
            Reduction.Sum => Sum(perRow),
            _ => Div(Sum(perRow), perRow.Scalar(valid)),
        };
        y = y.Detach();
        int[] ls = logits.Shape;
        return Tape.Record(y, "cross_entropy", [logits, targets], g =>
        {
            var grad = Exp(lsm); // softmax, (rows, C)
            var w = Tensor.Zeros([rows, 1], logits.DType);
            var gr = reduction == Reduction.None ? g.Reshape(rows).ToDoubleArray() : null;
            double scale = reduction == Reduction.Mean ? g.Item() / valid : reduction == Reduction.Sum ? g.Item() : 0;
            for (int r = 0; r < rows; r++) // per-row weights and the one-hot subtraction: O(rows) writes
            {
                if (t[r] == ignoreIndex) continue;
                w[r, 0] = gr is null ? scale : gr[r];
                grad[r, t[r]] -= 1.0;
            }
            return [Mul(grad, w).Reshape(ls), null];
        });
    }
}
