using FsCheck;
using FsCheck.Fluent;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

/// <summary>One random conv problem; lengths straddle the SIMD width (7, 8, 9, 15, 16, 17, 33).</summary>
public sealed record ConvCase(int B, int D, int L, int K, bool Silu, bool Bias, bool Init, int Seed)
{
    public CausalConv1dShape Shape => new(B, D, L, K);
    public CausalConv1dOptions Options => new(Silu);

    public float[] Rand(int n, int salt) => ConvTestData.Rand(n, Seed * 31 + salt);
}

internal static class ConvTestData
{
    public static Arbitrary<ConvCase> Cases() =>
        (from b in Gen.Choose(1, 4)
         from d in Gen.Choose(1, 5)
         from l in Gen.Elements(1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 33, 41)
         from k in Gen.Choose(1, 5)
         from f in Gen.Choose(0, 7)
         from seed in Gen.Choose(0, 1 << 20)
         select new ConvCase(b, d, l, k, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0, seed)).ToArbitrary();

    /// <summary>Uniform values in [-1, 1) from a fixed seed.</summary>
    public static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    public static double[] Widen(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>max|got − want| ≤ atol + rtol·max|want| (the golden acceptance rule).</summary>
    public static void Close(ReadOnlySpan<float> want, ReadOnlySpan<float> got, string what, double atol = 1e-5,
        double rtol = 1e-4)
    {
        Assert.Equal(want.Length, got.Length);
        double max = 0, err = 0;
        for (int i = 0; i < want.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)want[i]));
            err = Math.Max(err, Math.Abs((double)got[i] - want[i]));
        }
        Assert.True(err <= atol + rtol * max, $"{what}: max err {err:E3} (max |want| {max:E3})");
    }

    /// <summary>Central finite differences of f at every element of p, compared with the analytic gradient.</summary>
    public static void FiniteDifference(double[] p, double[] grad, Func<double> f, string what)
    {
        const double h = 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            double keep = p[i];
            p[i] = keep + h;
            double up = f();
            p[i] = keep - h;
            double down = f();
            p[i] = keep;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(fd - grad[i]) <= 1e-6 + 1e-6 * Math.Abs(fd), $"{what}[{i}]: fd {fd} vs {grad[i]}");
        }
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
