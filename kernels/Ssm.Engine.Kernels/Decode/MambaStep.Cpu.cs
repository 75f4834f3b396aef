// Cpu path of MambaStep (shapes in MambaStep.cs): one thread, no allocations, so a decode step can run
// without touching the managed heap. The N lanes of the state update use Vector<float> and KernelMath.Exp2
// (exp(dt·A) = 2^(dt·log2 e·A)), with a scalar tail; the conv and norm are short scalar/vector loops.
using System.Numerics;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Decode;

public static partial class MambaStep
{
    /// <summary>The fast CPU path; same contract as <see cref="Reference"/> in float32.</summary>
    public static partial class Cpu
    {
        /// <summary>buf (D, K), weight (D, K), bias (D) or empty; x (D) in: the new input, out: silu(conv).</summary>
        public static void Conv(int d, int k, Span<float> buf, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            Span<float> x)
        {
            ValidateConv(d, k, buf.Length, weight.Length, bias.Length, x.Length);
            for (int c = 0; c < d; c++)
            {
                var row = buf.Slice(c * k, k);
                var w = weight.Slice(c * k, k);
                float acc = bias.IsEmpty ? 0f : bias[c];
                for (int j = 0; j + 1 < k; j++)
                {
                    float v = row[j + 1];
                    row[j] = v;
                    acc = MathF.FusedMultiplyAdd(w[j], v, acc);
                }
                row[k - 1] = x[c];
                x[c] = MathF.FusedMultiplyAdd(w[k - 1], x[c], acc);
            }
            KernelMath.SiluInPlace(x[..d]);
        }

        /// <summary>state, A (D, N) (A already negative); x, dt (raw), dt_bias, Dskip, z, y (D); B, C (N).</summary>
        public static void Ssm(int d, int n, Span<float> state, ReadOnlySpan<float> a, ReadOnlySpan<float> x,
            ReadOnlySpan<float> dt, ReadOnlySpan<float> dtBias, ReadOnlySpan<float> dskip, ReadOnlySpan<float> b,
            ReadOnlySpan<float> c, ReadOnlySpan<float> z, Span<float> y)
        {
            ValidateSsm(d, n, state.Length, a.Length, x.Length, dt.Length, dtBias.Length, dskip.Length, b.Length,
                c.Length, z.Length, y.Length);
            int w = Vector<float>.Count, nv = Vector.IsHardwareAccelerated ? n - n % w : 0;
            var bv = MemoryMarshal.Cast<float, Vector<float>>(b[..nv]);
            var cv = MemoryMarshal.Cast<float, Vector<float>>(c[..nv]);
            // y holds dt = softplus(dt + dt_bias) (one vector pass) until channel i overwrites it with its output;
            // the SiLU gate is a vector pass at the end.
            Span<float> dts = y[..d];
            for (int i = 0; i < d; i++) dts[i] = dt[i] + dtBias[i];
            KernelMath.SoftplusInPlace(dts);
            for (int i = 0; i < d; i++)
            {
                float dv = dts[i], xi = x[i], dl = dv * KernelMath.Log2E, dx = dv * xi;
                var st = state.Slice(i * n, n);
                var ar = a.Slice(i * n, n);
                var sv = MemoryMarshal.Cast<float, Vector<float>>(st[..nv]);
                var av = MemoryMarshal.Cast<float, Vector<float>>(ar[..nv]);
                var accv = Vector<float>.Zero;
                for (int j = 0; j < sv.Length; j++)
                {
                    var s = KernelMath.Exp2(av[j] * dl) * sv[j] + bv[j] * dx;
                    sv[j] = s;
                    accv += s * cv[j];
                }
                float acc = Vector.Sum(accv);
                for (int j = nv; j < n; j++)
                {
                    float s = KernelMath.Exp2(ar[j] * dl) * st[j] + b[j] * dx;
                    st[j] = s;
                    acc += s * c[j];
                }
                y[i] = acc + dskip[i] * xi;
            }
            KernelMath.MultiplySilu(y[..d], z[..d]);
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
            float ss = 0;
            for (int i = 0; i < d; i++)
            {
                float r = first ? hidden[i] : hidden[i] + residual[i];
                residual[i] = r;
                ss = MathF.FusedMultiplyAdd(r, r, ss);
            }
            float inv = KernelMath.InvRms(ss, d, eps);
            for (int i = 0; i < d; i++) output[i] = residual[i] * inv * weight[i];
        }
    }
}
