// Fast CPU path: rows (channels) in parallel, SIMD along time (see CausalConv1d.Rows.cs). Must match
// CausalConv1d.Reference to float rounding. Shapes as in CausalConv1d.cs.
namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    /// <summary>SIMD, multi-threaded path; same contracts as <see cref="Reference"/>.
    /// Empty optional spans mean "absent".</summary>
    public static unsafe partial class Cpu
    {
        /// <summary>x, y: (B, D, L); weight: (D, K); bias: (D,); initial/final states: (B, D, K-1).</summary>
        public static void Forward(in CausalConv1dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates, Span<float> y, Span<float> finalStates,
            CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, y.Length, finalStates.Length);
            int K = s.Width, L = s.Length, H = s.StateWidth, D = s.Channels;
            bool silu = o.Silu;
            fixed (float* px = x, pw = weight, pb = bias, pi = initialStates, py = y, pf = finalStates)
            {
                nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ai = (nint)pi, ay = (nint)py, af = (nint)pf;
                RowParallel.For(s.Rows, (long)s.Rows * L * K, o.Threads, (r0, r1) =>
                {
                    float* x0 = (float*)ax, w0 = (float*)aw, b0 = (float*)ab, i0 = (float*)ai, f0 = (float*)af;
                    for (int r = r0; r < r1; r++)
                    {
                        int d = r % D;
                        float* head = i0 == null ? null : i0 + (long)r * H;
                        float* xr = x0 + (long)r * L;
                        ForwardRow(head, xr, L, w0 + d * K, K, b0 == null ? 0f : b0[d], (float*)ay + (long)r * L, silu);
                        if (f0 != null)
                            for (int i = 0; i < H; i++) f0[(long)r * H + i] = Xp(head, xr, H, L + i);
                    }
                });
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dFinal·final_states (overwritten). dBias and dInitialStates may be
        /// empty (not wanted), dFinalStates empty (no cotangent).</summary>
        public static void Backward(in CausalConv1dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates, ReadOnlySpan<float> dy,
            ReadOnlySpan<float> dFinalStates, Span<float> dx, Span<float> dWeight, Span<float> dBias,
            Span<float> dInitialStates, CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, dy.Length, dFinalStates.Length);
            Validate(s, dx.Length, dWeight.Length, dBias.Length, dInitialStates.Length, dy.Length, 0);
            int K = s.Width, L = s.Length, H = s.StateWidth, D = s.Channels, B = s.Batch;
            bool silu = o.Silu;
            fixed (float* px = x, pw = weight, pb = bias, pi = initialStates, pdy = dy, pdf = dFinalStates)
            fixed (float* pdx = dx, pdw = dWeight, pdb = dBias, pdi = dInitialStates)
            {
                nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ai = (nint)pi, ady = (nint)pdy, adf = (nint)pdf;
                nint adx = (nint)pdx, adw = (nint)pdw, adb = (nint)pdb, adi = (nint)pdi;
                // Parallel over channels so each worker owns dWeight[d, :] and dBias[d] (no reduction needed).
                RowParallel.For(D, (long)s.Rows * L * K, o.Threads, (d0, d1) =>
                {
                    // g[3..] starts on a 64-byte boundary: the K = 4 pass stores g from t = 3 in 512-bit vectors.
                    var g = new float[Math.Max(L, 1) + 16];
                    var dh = new float[Math.Max(H, 1)];
                    fixed (float* pg0 = g, pdh = dh)
                    {
                        float* pg = pg0 + (16 - (int)(((nint)(pg0 + 3) & 63) >> 2)) % 16;
                        for (int d = d0; d < d1; d++)
                        {
                            float* dw = (float*)adw + d * K;
                            new Span<float>(dw, K).Clear();
                            float db = 0;
                            for (int b = 0; b < B; b++)
                            {
                                long r = (long)b * D + d;
                                float* head = ai == 0 ? null : (float*)ai + r * H;
                                float* dxr = (float*)adx + r * L;
                                db += BackwardRow(head, (float*)ax + r * L, L, (float*)aw + d * K, K,
                                    ab == 0 ? 0f : ((float*)ab)[d], (float*)ady + r * L, silu, pg, dxr, pdh, dw);
                                if (adf != 0) AddTailCotangent((float*)adf + r * H, H, L, H, dxr, pdh);
                                if (adi != 0) new Span<float>(pdh, H).CopyTo(new Span<float>((float*)adi + r * H, H));
                            }
                            if (adb != 0) ((float*)adb)[d] = db;
                        }
                    }
                });
            }
        }
    }
}
