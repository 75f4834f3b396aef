// Elementwise maps and row reductions over operator structs (Common/ElementwiseOperators.cs).
// map:    x: (n)          -> y: (n)       y[i] = f(x[i])
// zip:    a, b: (n)       -> y: (n)       y[i] = f(a[i], b[i])
// reduce: x: (rows, cols) -> y: (rows)    y[r] = x[r,0] ⊕ x[r,1] ⊕ … (row-major x; identity for cols = 0)
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Elementwise kernels: <see cref="Reference"/> loops and the ILGPU <see cref="Gpu"/> path.</summary>
public static partial class Elementwise
{
    /// <summary>Checks that two operands have the same length.</summary>
    public static void ValidateSameLength(string op, string nameA, long lengthA, string nameB, long lengthB)
    {
        if (lengthA != lengthB)
            throw new ArgumentException($"[{op}] {nameA} holds {lengthA} values but {nameB} holds {lengthB}");
        if (lengthA > int.MaxValue)
            throw new ArgumentException($"[{op}] {nameA} holds {lengthA} values, more than int.MaxValue");
    }

    /// <summary>Checks a row reduction: x holds rows·cols values, y holds rows.</summary>
    public static void ValidateReduceRows(long xLength, int rows, int cols, long yLength)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"[reduce_rows] negative shape ({rows}, {cols})");
        if (xLength != (long)rows * cols)
            throw new ArgumentException($"[reduce_rows] x holds {xLength} values, expected ({rows}, {cols})");
        if (yLength != rows)
            throw new ArgumentException($"[reduce_rows] y holds {yLength} values, expected ({rows})");
        if (xLength > int.MaxValue) throw new ArgumentException($"[reduce_rows] x holds {xLength} values, too many");
    }

    /// <summary>Plain loops in float64: the specification and test oracle.</summary>
    public static class Reference
    {
        /// <summary>y[i] = f(x[i]), evaluated in float64 and rounded once.</summary>
        public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
        {
            ValidateSameLength("map", "x", x.Length, "y", y.Length);
            TOp op = default;
            for (int i = 0; i < x.Length; i++) y[i] = (float)op.Apply((double)x[i]);
        }

        /// <summary>y[i] = f(a[i], b[i]).</summary>
        public static void Zip<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
            where TOp : struct, IBinaryOperator
        {
            ValidateSameLength("zip", "a", a.Length, "b", b.Length);
            ValidateSameLength("zip", "a", a.Length, "y", y.Length);
            TOp op = default;
            for (int i = 0; i < a.Length; i++) y[i] = op.Apply(a[i], b[i]);
        }

        /// <summary>y[r] = reduction of row r, left to right in float64.</summary>
        public static void ReduceRows<TOp>(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
            where TOp : struct, IReduceOperator
        {
            ValidateReduceRows(x.Length, rows, cols, y.Length);
            TOp op = default;
            for (int r = 0; r < rows; r++)
            {
                double acc = op.Identity;
                for (int c = 0; c < cols; c++) acc = op.Apply(acc, (double)x[r * cols + c]);
                y[r] = (float)acc;
            }
        }
    }
}
