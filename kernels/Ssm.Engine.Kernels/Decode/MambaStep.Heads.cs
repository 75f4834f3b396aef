// Mamba-2 pieces of a decode step (one sequence row, allocation-free), next to the Mamba-1 ones:
//   heads: dt_h = softplus(dt_h + dt_bias_h); state (H, P, N) ← exp(dt_h·A_h)·state + dt_h·x[h, p]·B_g;
//          y[h, p] = Σ_n state·C_g + D·x[h, p]      (g = h / (H/G); D per head (H) or per channel (H·P))
//   gated norm (norm_before_gate = false): v = y·silu(z); out = v / rms(v over each group) · weight
// The conv step is MambaStep.Conv over the d_inner + 2·G·N channels of xBC.
using System.Numerics;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Decode;

public static partial class MambaStep
{
    /// <summary>Checks the multi-head state-update spans: state (H, P, N); A, dt, dt_bias (H); Dskip (H) or (H·P)
    /// or empty; x, y (H·P); B, C (G·N).</summary>
    public static void ValidateHeads(int h, int p, int n, int g, int state, int a, int x, int dt, int dtBias,
        int dskip, int b, int c, int y)
    {
        if (h <= 0 || p <= 0 || n <= 0 || g <= 0 || h % g != 0)
            throw new ArgumentException($"{Op} sizes must be positive with G dividing H: H={h} P={p} N={n} G={g}");
        Need("state", state, (long)h * p * n, "H, P, N", h * p, n);
        Need("A", a, h, "H", h);
        Need("dt", dt, h, "H", h);
        Need("dt_bias", dtBias, h, "H", h);
        if (dskip != 0 && dskip != h) Need("D", dskip, (long)h * p, "H, P", h, p);
        Need("x", x, (long)h * p, "H, P", h, p);
        Need("y", y, (long)h * p, "H, P", h, p);
        Need("B", b, (long)g * n, "G, N", g, n);
        Need("C", c, (long)g * n, "G, N", g, n);
    }

    /// <summary>Checks the gated-norm spans: y, z, weight, output (D) with D a multiple of the group size.</summary>
    public static void ValidateGatedNorm(int d, int groupSize, int z, int weight, int output)
    {
        if (d <= 0 || groupSize <= 0 || d % groupSize != 0)
            throw new ArgumentException($"{Op} group size {groupSize} must divide D={d}");
        Need("z", z, d, "D", d);
        Need("weight", weight, d, "D", d);
        Need("output", output, d, "D", d);
    }

    public static partial class Reference
    {
        /// <summary>Multi-head state update (see the file header); A already negative.</summary>
        public static void Heads(int h, int p, int n, int g, Span<float> state, ReadOnlySpan<float> a,
            ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> dtBias, ReadOnlySpan<float> dskip,
            ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        {
            ValidateHeads(h, p, n, g, state.Length, a.Length, x.Length, dt.Length, dtBias.Length, dskip.Length,
                b.Length, c.Length, y.Length);
            for (int hi = 0; hi < h; hi++)
            {
                double raw = (double)dt[hi] + dtBias[hi], dv = raw > 20 ? raw : Math.Log(1 + Math.Exp(raw));
                double decay = Math.Exp(dv * a[hi]);
                int gi = hi / (h / g);
                for (int pi = 0; pi < p; pi++)
                {
                    int ch = hi * p + pi;
                    double acc = 0;
                    for (int j = 0; j < n; j++)
                    {
                        double s = decay * state[ch * n + j] + dv * x[ch] * b[gi * n + j];
                        state[ch * n + j] = (float)s;
                        acc += s * c[gi * n + j];
                    }
                    double dk = dskip.IsEmpty ? 0 : dskip.Length == h ? dskip[hi] : dskip[ch];
                    y[ch] = (float)(acc + dk * x[ch]);
                }
            }
        }

        /// <summary>output = rmsnorm_group(y·silu(z))·weight (norm_before_gate = false).</summary>
        public static void GatedNorm(ReadOnlySpan<float> y, ReadOnlySpan<float> z, ReadOnlySpan<float> weight,
            Span<float> output, int groupSize, double eps)
        {
            ValidateGatedNorm(y.Length, groupSize, z.Length, weight.Length, output.Length);
            var v = new double[groupSize];
            for (int g0 = 0; g0 < y.Length; g0 += groupSize)
            {
                double ss = 0;
                for (int i = 0; i < groupSize; i++)
                {
                    double zv = z[g0 + i];
                    v[i] = y[g0 + i] * zv / (1 + Math.Exp(-zv));
                    ss += v[i] * v[i];
                }
                double inv = 1 / Math.Sqrt(ss / groupSize + eps);
                for (int i = 0; i < groupSize; i++) output[g0 + i] = (float)(v[i] * inv * weight[g0 + i]);
            }
        }
    }

    public static partial class Cpu
    {
        /// <summary>Multi-head state update (see the file header); A already negative.</summary>
        public static void Heads(int h, int p, int n, int g, Span<float> state, ReadOnlySpan<float> a,
            ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> dtBias, ReadOnlySpan<float> dskip,
            ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        {
            ValidateHeads(h, p, n, g, state.Length, a.Length, x.Length, dt.Length, dtBias.Length, dskip.Length,
                b.Length, c.Length, y.Length);
            int w = Vector<float>.Count, nv = Vector.IsHardwareAccelerated ? n - n % w : 0;
            for (int hi = 0; hi < h; hi++)
            {
                float dv = KernelMath.Softplus(dt[hi] + dtBias[hi]);
                float decay = KernelMath.Exp2(dv * a[hi] * KernelMath.Log2E);
                int gi = hi / (h / g);
                ReadOnlySpan<float> bg = b.Slice(gi * n, n), cg = c.Slice(gi * n, n);
                var bv = MemoryMarshal.Cast<float, Vector<float>>(bg[..nv]);
                var cv = MemoryMarshal.Cast<float, Vector<float>>(cg[..nv]);
                var dec = new Vector<float>(decay);
                for (int pi = 0; pi < p; pi++)
                {
                    int ch = hi * p + pi;
                    float xi = x[ch], dx = dv * xi;
                    var st = state.Slice(ch * n, n);
                    var sv = MemoryMarshal.Cast<float, Vector<float>>(st[..nv]);
                    var vdx = new Vector<float>(dx);
                    var accv = Vector<float>.Zero;
                    for (int j = 0; j < sv.Length; j++)
                    {
                        var s = Vector.FusedMultiplyAdd(dec, sv[j], bv[j] * vdx);
                        sv[j] = s;
                        accv = Vector.FusedMultiplyAdd(s, cv[j], accv);
                    }
                    float acc = Vector.Sum(accv);
                    for (int j = nv; j < n; j++)
                    {
                        float s = MathF.FusedMultiplyAdd(decay, st[j], bg[j] * dx);
                        st[j] = s;
                        acc = MathF.FusedMultiplyAdd(s, cg[j], acc);
                    }
                    float dk = dskip.IsEmpty ? 0f : dskip.Length == h ? dskip[hi] : dskip[ch];
                    y[ch] = MathF.FusedMultiplyAdd(dk, xi, acc);
                }
            }
        }

        /// <summary>output = rmsnorm_group(y·silu(z))·weight (norm_before_gate false); output may alias y.</summary>
        public static void GatedNorm(ReadOnlySpan<float> y, ReadOnlySpan<float> z, ReadOnlySpan<float> weight,
            Span<float> output, int groupSize, double eps)
        {
            ValidateGatedNorm(y.Length, groupSize, z.Length, weight.Length, output.Length);
            int d = y.Length;
            y.CopyTo(output);
            KernelMath.MultiplySilu(output[..d], z[..d]);
            for (int g0 = 0; g0 < d; g0 += groupSize)
            {
                float ss = 0;
                for (int i = g0; i < g0 + groupSize; i++) ss = MathF.FusedMultiplyAdd(output[i], output[i], ss);
                float inv = KernelMath.InvRms(ss, groupSize, eps);
                for (int i = g0; i < g0 + groupSize; i++) output[i] *= inv * weight[i];
            }
        }
    }
}
