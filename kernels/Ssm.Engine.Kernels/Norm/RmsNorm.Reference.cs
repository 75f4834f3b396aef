// Plain per-element loops in float64: the specification and oracle of RmsNorm.Cpu (formulas in RmsNorm.cs).
// Backward per group, with n = v·r, r = 1/sqrt(mean(v²)+eps), dn = do·w:  dv = r·(dn − n·mean(dn·n)).
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Norm;

public static partial class RmsNorm
{
    /// <summary>Reference loops (float64 inside); float32 overloads widen and round once.</summary>
    public static partial class Reference
    {
        /// <summary>y and (if wanted) residual_out = x + residual. Shapes in <see cref="RmsNorm"/>.</summary>
        public static void Forward(in RmsNormShape s, ReadOnlySpan<double> x, ReadOnlySpan<double> residual,
            ReadOnlySpan<double> z, ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, Span<double> y,
            Span<double> residualOut, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, y.Length, residualOut.Length);
            int C = s.Channels, G = s.Group;
            var v = new double[C];
            for (int r = 0; r < s.Rows; r++)
            {
                int off = r * C;
                for (int c = 0; c < C; c++)
                {
                    double sv = x[off + c] + (residual.IsEmpty ? 0 : residual[off + c]);
                    if (!residualOut.IsEmpty) residualOut[off + c] = sv;
                    v[c] = !z.IsEmpty && !o.NormBeforeGate ? sv * KernelMath.Silu(z[off + c]) : sv;
                }
                for (int g0 = 0; g0 < C; g0 += G)
                {
                    double rs = InvRms(v.AsSpan(g0, G), o.Eps);
                    for (int c = g0; c < g0 + G; c++)
                    {
                        double oc = v[c] * rs * weight[c] + (bias.IsEmpty ? 0 : bias[c]);
                        y[off + c] = !z.IsEmpty && o.NormBeforeGate ? oc * KernelMath.Silu(z[off + c]) : oc;
                    }
                }
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dResidualOut·residual_out (overwritten). dResidualOut may be empty
        /// (no cotangent); dResidual, dz, dBias may be empty (not wanted). dResidual equals dx.</summary>
        public static void Backward(in RmsNormShape s, ReadOnlySpan<double> x, ReadOnlySpan<double> residual,
            ReadOnlySpan<double> z, ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, ReadOnlySpan<double> dy,
            ReadOnlySpan<double> dResidualOut, Span<double> dx, Span<double> dResidual, Span<double> dz,
            Span<double> dWeight, Span<double> dBias, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, dy.Length,
                dResidualOut.Length);
            Validate(s, dx.Length, dResidual.Length, dz.Length, dWeight.Length, dBias.Length, dy.Length, 0);
            int C = s.Channels, G = s.Group;
            bool gateBefore = !z.IsEmpty && !o.NormBeforeGate, gateAfter = !z.IsEmpty && o.NormBeforeGate;
            double[] sv = new double[C], v = new double[C], n = new double[C], dn = new double[C];
            dWeight.Clear();
            dBias.Clear();
            for (int r = 0; r < s.Rows; r++)
            {
                int off = r * C;
                for (int c = 0; c < C; c++)
                {
                    sv[c] = x[off + c] + (residual.IsEmpty ? 0 : residual[off + c]);
                    v[c] = gateBefore ? sv[c] * KernelMath.Silu(z[off + c]) : sv[c];
                }
                for (int g0 = 0; g0 < C; g0 += G)
                {
                    double rs = InvRms(v.AsSpan(g0, G), o.Eps), dot = 0;
                    for (int c = g0; c < g0 + G; c++)
                    {
                        n[c] = v[c] * rs;
                        double dout = dy[off + c];
                        if (gateAfter)
                        {
                            double oc = n[c] * weight[c] + (bias.IsEmpty ? 0 : bias[c]);
                            if (!dz.IsEmpty) dz[off + c] = dout * oc * KernelMath.SiluGrad(z[off + c]);
                            dout *= KernelMath.Silu(z[off + c]);
                        }
                        dWeight[c] += dout * n[c];
                        if (!dBias.IsEmpty) dBias[c] += dout;
                        dn[c] = dout * weight[c];
                        dot += dn[c] * n[c];
                    }
                    dot /= G;
                    for (int c = g0; c < g0 + G; c++)
                    {
                        double dv = rs * (dn[c] - n[c] * dot), ds = dv;
                        if (gateBefore)
                        {
                            ds = dv * KernelMath.Silu(z[off + c]);
                            if (!dz.IsEmpty) dz[off + c] = dv * sv[c] * KernelMath.SiluGrad(z[off + c]);
                        }
                        if (!dResidualOut.IsEmpty) ds += dResidualOut[off + c];
                        dx[off + c] = ds;
                        if (!dResidual.IsEmpty) dResidual[off + c] = ds;
                    }
                }
            }
        }

        private static double InvRms(ReadOnlySpan<double> v, double eps)
        {
            double ss = 0;
            foreach (double a in v) ss += a * a;
            return 1.0 / Math.Sqrt(ss / v.Length + eps);
        }
    }
}
