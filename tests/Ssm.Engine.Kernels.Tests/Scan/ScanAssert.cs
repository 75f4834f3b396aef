using Ssm.Engine.Conformance;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Kernels.Tests.Scan;

/// <summary>Comparisons and float/double conversions shared by the scan tests.</summary>
internal static class ScanAssert
{
    /// <summary>The golden acceptance rule: max|got − want| ≤ atol + rtol · max|want|.</summary>
    public static void Close(string name, ReadOnlySpan<double> got, ReadOnlySpan<double> want, double atol, double rtol)
    {
        Assert.True(got.Length == want.Length, $"{name}: length {got.Length} != {want.Length}");
        double maxWant = 0, maxErr = 0;
        int at = -1;
        for (int i = 0; i < want.Length; i++)
        {
            maxWant = Math.Max(maxWant, Math.Abs(want[i]));
            double e = Math.Abs(got[i] - want[i]);
            if (!(e <= maxErr)) { maxErr = e; at = i; }
        }
        double bound = atol + rtol * maxWant;
        Assert.True(maxErr <= bound,
            $"{name}: max|err| {maxErr:g4} at {at} (got {got[Math.Max(at, 0)]:g6}, want {want[Math.Max(at, 0)]:g6}) "
            + $"> bound {bound:g4}");
    }

    public static void Close(string name, float[] got, float[] want, Tolerance tol) =>
        Close(name, ToDouble(got), ToDouble(want), tol.Atol, tol.Rtol);

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static double[]? ToDoubleOrNull(float[]? a) => a is null ? null : ToDouble(a);

    public static float[]? ToFloatOrNull(double[]? a) => a is null ? null : ToFloat(a);

    public static SelectiveScanInputs<double> ToDouble(SelectiveScanInputs<float> x) => new()
    {
        U = ToDouble(x.U), Delta = ToDouble(x.Delta), A = ToDouble(x.A), B = ToDouble(x.B), C = ToDouble(x.C),
        D = ToDoubleOrNull(x.D), Z = ToDoubleOrNull(x.Z), DeltaBias = ToDoubleOrNull(x.DeltaBias),
        H0 = ToDoubleOrNull(x.H0),
    };

    public static SelectiveScanInputs<float> ToFloat(SelectiveScanInputs<double> x) => new()
    {
        U = ToFloat(x.U), Delta = ToFloat(x.Delta), A = ToFloat(x.A), B = ToFloat(x.B), C = ToFloat(x.C),
        D = ToFloatOrNull(x.D), Z = ToFloatOrNull(x.Z), DeltaBias = ToFloatOrNull(x.DeltaBias),
        H0 = ToFloatOrNull(x.H0),
    };

    /// <summary>(name, array) pairs of every gradient that exists, in a fixed order.</summary>
    public static IEnumerable<(string Name, T[] Data)> Named<T>(SelectiveScanGrads<T> g) where T : unmanaged
    {
        yield return ("u", g.U);
        yield return ("delta", g.Delta);
        yield return ("A", g.A);
        yield return ("B", g.B);
        yield return ("C", g.C);
        if (g.D is not null) yield return ("D", g.D);
        if (g.Z is not null) yield return ("z", g.Z);
        if (g.DeltaBias is not null) yield return ("delta_bias", g.DeltaBias);
        if (g.H0 is not null) yield return ("h0", g.H0);
    }

    /// <summary>(name, array) pairs of every input that exists, in the order of the gradient overload.</summary>
    public static IEnumerable<(string Name, T[] Data)> Named<T>(SelectiveScanInputs<T> x) where T : unmanaged
    {
        yield return ("u", x.U);
        yield return ("delta", x.Delta);
        yield return ("A", x.A);
        yield return ("B", x.B);
        yield return ("C", x.C);
        if (x.D is not null) yield return ("D", x.D);
        if (x.Z is not null) yield return ("z", x.Z);
        if (x.DeltaBias is not null) yield return ("delta_bias", x.DeltaBias);
        if (x.H0 is not null) yield return ("h0", x.H0);
    }
}
