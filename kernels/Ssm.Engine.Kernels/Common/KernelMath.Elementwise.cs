// Scalar math for the generic elementwise ops of the engine (GELU in both forms and erf).
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Common;

public static partial class KernelMath
{
    /// <summary>sqrt(2/π), the GELU tanh-form scale.</summary>
    public const double GeluTanhScale = 0.7978845608028654;

    /// <summary>The cubic coefficient of the GELU tanh form.</summary>
    public const double GeluTanhCubic = 0.044715;

    /// <summary>erf(x) to about 1e-13 absolute: Maclaurin series for |x| &lt; 3 (terms stay below e^9, so
    /// cancellation costs at most 4 digits), Laplace continued fraction for erfc beyond.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x), sign = x < 0 ? -1.0 : 1.0; // not Math.Sign: ILGPU cannot compile it
        if (ax >= 6) return sign;
        if (ax < 3)
        {
            // erf(x) = 2/sqrt(pi) · Σ (−1)^n x^(2n+1) / (n! (2n+1))
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(−x²)/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
        double k = ax;
        for (int n = 60; n >= 1; n--) k = ax + n / 2.0 / k;
        double erfc = Math.Exp(-ax * ax) / (Math.Sqrt(Math.PI) * k);
        return sign * (1 - erfc);
    }

    /// <summary>erf in float32 (computed in float64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x) => (float)Erf((double)x);

    /// <summary>gelu(x) = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).</summary>
    public static double GeluErf(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>d gelu/dx = Φ(x) + x · φ(x).</summary>
    public static double GeluErfGrad(double x) =>
        0.5 * (1 + Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>gelu_tanh(x) = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))).</summary>
    public static double GeluTanh(double x) =>
        0.5 * x * (1 + Math.Tanh(GeluTanhScale * (x + GeluTanhCubic * x * x * x)));

    /// <summary>d gelu_tanh/dx = 0.5 (1 + t) + 0.5 x (1 − t²) √(2/π) (1 + 3 · 0.044715 x²).</summary>
    public static double GeluTanhGrad(double x)
    {
        double t = Math.Tanh(GeluTanhScale * (x + GeluTanhCubic * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GeluTanhScale * (1 + 3 * GeluTanhCubic * x * x);
    }
}
