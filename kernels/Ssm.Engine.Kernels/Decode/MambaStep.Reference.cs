// Plain float64 loops: the spec and test oracle of MambaStep (shapes in MambaStep.cs).
namespace Ssm.Engine.Kernels.Decode;

public static partial class MambaStep
{
    /// <summary>The reference loops, accumulating in float64.</summary>
    public static partial class Reference
    {
        /// <summary>buf (D, K), weight (D, K), bias (D) or empty; x (D) in: the new input, out: silu(conv).</summary>
        public static void Conv(int d, int k, Span<float> buf, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            Span<float> x)
        {
            ValidateConv(d, k, buf.Length, weight.Length, bias.Length, x.Length);
            for (int c = 0; c < d; c++)
            {
                var row = buf.Slice(c * k, k);
                for (int j = 0; j + 1 < k; j++) row[j] = row[j + 1];
                row[k - 1] = x[c];
                double acc = bias.IsEmpty ? 0 : bias[c];
                for (int j = 0; j < k; j++) acc += (double)weight[c * k + j] * row[j];
                x[c] = (float)(acc / (1 + Math.Exp(-acc)));
            }
        }

        /// <summary>state, A (D, N) (A already negative); x, dt (raw), dt_bias, Dskip, z, y (D); B, C (N).</summary>
        public static void Ssm(int d, int n, Span<float> state, ReadOnlySpan<float> a, ReadOnlySpan<float> x,
            ReadOnlySpan<float> dt, ReadOnlySpan<float> dtBias, ReadOnlySpan<float> dskip, ReadOnlySpan<float> b,
            ReadOnlySpan<float> c, ReadOnlySpan<float> z, Span<float> y)
        {
            ValidateSsm(d, n, state.Length, a.Length, x.Length, dt.Length, dtBias.Length, dskip.Length, b.Length,
                c.Length, z.Length, y.Length);
            for (int i = 0; i < d; i++)
            {
                double raw = (double)dt[i] + dtBias[i];
                double dv = raw > 20 ? raw : Math.Log(1 + Math.Exp(raw));
                double acc = 0;
                for (int j = 0; j < n; j++)
                {
                    double s = Math.Exp(dv * a[i * n + j]) * state[i * n + j] + dv * b[j] * x[i];
                    state[i * n + j] = (float)s;
                    acc += s * c[j];
                }
                acc += (double)dskip[i] * x[i];
                double zv = z[i];
                y[i] = (float)(acc * zv / (1 + Math.Exp(-zv)));
            }
        }

        /// <summary>residual ← hidden + residual (hidden alone when <paramref name="first"/>); output =
        /// rmsnorm(residual)·weight. All (D).</summary>
        public static void AddNorm(ReadOnlySpan<float> hidden, Span<float> residual, ReadOnlySpan<float> weight,
            Span<float> output, double eps, bool first)
        {
            int d = hidden.Length;
            Need("residual", residual.Length, d, "D", d);
            Need("weight", weight.Length, d, "D", d);
            Need("output", output.Length, d, "D", d);
            double ss = 0;
            for (int i = 0; i < d; i++)
            {
                residual[i] = first ? hidden[i] : hidden[i] + residual[i];
                ss += (double)residual[i] * residual[i];
            }
            double inv = 1 / Math.Sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) output[i] = (float)(residual[i] * inv * weight[i]);
        }
    }
}
