namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>Acceptance per tensor, as in the golden tests: max|got − want| ≤ atol + rtol · max|want|.</summary>
internal static class Close
{
    public static void Assert(ReadOnlySpan<float> got, ReadOnlySpan<float> want, double atol, double rtol,
        string what)
    {
        Xunit.Assert.Equal(want.Length, got.Length);
        if (want.Length == 0) return; // an absent optional tensor: nothing to compare
        double maxDiff = 0, maxRef = 0;
        int worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (d > maxDiff) (maxDiff, worst) = (d, i);
            maxRef = Math.Max(maxRef, Math.Abs((double)want[i]));
        }
        double bound = atol + rtol * maxRef;
        Xunit.Assert.True(maxDiff <= bound,
            $"{what}: max|diff| {maxDiff:g4} at {worst} (got {got[worst]}, want {want[worst]}) > {bound:g4}");
    }

    public static float[] Random(int seed, int length, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = lo + (hi - lo) * rng.NextSingle();
        return x;
    }
}
