namespace Ssm.Engine.Conformance;

/// <summary>FORMAT.md §3's acceptance rule for one tensor:
/// <c>max|got − golden| ≤ atol + rtol · max|golden|</c>.</summary>
public static class TensorComparison
{
    /// <summary>Compares <paramref name="got"/> with <paramref name="golden"/>. Throws
    /// <see cref="InvalidDataException"/> naming the tensor when the shapes differ; a NaN in the result
    /// gives a NaN error (a failure).</summary>
    public static TensorResult Compare(string name, HostArray got, HostArray golden, Tolerance tol)
    {
        if (!got.Shape.SequenceEqual(golden.Shape))
            throw new InvalidDataException($"{name}: shape {got.ShapeText} differs from the golden {golden.ShapeText}");
        if (got.Data.Length != golden.Data.Length)
            throw new InvalidDataException(
                $"{name}: {got.Data.Length} values for shape {got.ShapeText}, the golden has {golden.Data.Length}");
        return Compare(name, got.Data, golden.Data, tol);
    }

    /// <summary>Compares two flat arrays of equal length (see the overload taking shapes).</summary>
    public static TensorResult Compare(string name, ReadOnlySpan<float> got, ReadOnlySpan<float> golden, Tolerance tol)
    {
        if (got.Length != golden.Length)
            throw new InvalidDataException($"{name}: {got.Length} values, the golden has {golden.Length}");
        double maxErr = 0, maxGolden = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double g = got[i];
            if (double.IsNaN(g)) return new TensorResult(name, double.NaN, tol.Bound(MaxAbs(golden)));
            maxErr = Math.Max(maxErr, Math.Abs(g - golden[i]));
            maxGolden = Math.Max(maxGolden, Math.Abs((double)golden[i]));
        }
        return new TensorResult(name, maxErr, tol.Bound(maxGolden));
    }

    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        double m = 0;
        foreach (float v in values) m = Math.Max(m, Math.Abs((double)v));
        return m;
    }
}
