using Ssm.Engine.Tensors;
using Xunit.Sdk;

namespace Ssm.Engine.Testing;

/// <summary>Tolerance assertions on tensors: max|got − want| ≤ atol + rtol · max|want|, shapes equal.</summary>
public static class TensorAssert
{
    /// <summary>Asserts equal shapes and values within tolerance; the message names the worst element.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-5,
            string what = "tensor")
    {
        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            throw new XunitException(
                $"{what}: shape {ShapeUtil.Format(actual.Shape)} != expected {ShapeUtil.Format(expected.Shape)}");
        Close(expected.ToDoubleArray(), actual.ToDoubleArray(), atol, rtol, what);
    }

    /// <summary>Asserts two arrays are close (same length).</summary>
    public static void Close(double[] expected, double[] actual, double atol = 1e-5, double rtol = 1e-5,
            string what = "values")
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: length {actual.Length} != expected {expected.Length}");
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i])) d = double.PositiveInfinity;
            if (d > worst) { worst = d; at = i; }
        }
        double tol = atol + rtol * scale;
        if (worst > tol)
            throw new XunitException($"{what}: max |diff| {worst:G4} > {tol:G4} at flat index {at} " +
                $"(expected {expected[at]:G8}, got {actual[at]:G8})");
    }

    /// <summary>Asserts exactly equal values and shapes.</summary>
    public static void Equal(Tensor expected, Tensor actual, string what = "tensor")
        => Close(expected, actual, 0, 0, what);
}
