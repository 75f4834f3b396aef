// float32 entry points of the reference: widen to float64, run the float64 loops, round once on the way out.
namespace Ssm.Engine.Kernels.Norm;

public static partial class RmsNorm
{
    public static partial class Reference
    {
        /// <summary>float32 form of the float64 <c>Forward</c>.</summary>
        public static void Forward(in RmsNormShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> residual,
            ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
            Span<float> residualOut, RmsNormOptions o)
        {
            double[] yd = new double[y.Length], rd = new double[residualOut.Length];
            Forward(s, W(x), W(residual), W(z), W(weight), W(bias), yd, rd, o);
            N(yd, y);
            N(rd, residualOut);
        }

        /// <summary>float32 form of the float64 <c>Backward</c>.</summary>
        public static void Backward(in RmsNormShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> residual,
            ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> dy,
            ReadOnlySpan<float> dResidualOut, Span<float> dx, Span<float> dResidual, Span<float> dz,
            Span<float> dWeight, Span<float> dBias, RmsNormOptions o)
        {
            double[] gx = new double[dx.Length], gr = new double[dResidual.Length], gz = new double[dz.Length];
            double[] gw = new double[dWeight.Length], gb = new double[dBias.Length];
            Backward(s, W(x), W(residual), W(z), W(weight), W(bias), W(dy), W(dResidualOut), gx, gr, gz, gw, gb, o);
            N(gx, dx);
            N(gr, dResidual);
            N(gz, dz);
            N(gw, dWeight);
            N(gb, dBias);
        }

        private static double[] W(ReadOnlySpan<float> a)
        {
            var r = new double[a.Length];
            for (int i = 0; i < a.Length; i++) r[i] = a[i];
            return r;
        }

        private static void N(double[] a, Span<float> dst)
        {
            for (int i = 0; i < a.Length; i++) dst[i] = (float)a[i];
        }
    }
}
