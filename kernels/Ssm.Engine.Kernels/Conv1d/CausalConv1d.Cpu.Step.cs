// Decode update on the Cpu path: gather the K-1 previous inputs from the conv state (linear tail or circular
// positions), run the same row cores as the full forward, then shift/scatter the new inputs into the state.
namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    public static unsafe partial class Cpu
    {
        /// <summary>x, y: (B, D, L); conv_state, newState: (B, D, S); weight: (D, K); bias: (D,); cacheSeqlens: (B,)
        /// (empty = linear buffer). newState may be the same buffer as convState (in-place decode).</summary>
        public static void Step(in CausalConv1dUpdateShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> convState,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<int> cacheSeqlens, Span<float> y,
            Span<float> newState, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, y.Length,
                newState.Length);
            int K = s.Width, L = s.Length, S = s.StateLength, H = K - 1, D = s.Channels;
            bool silu = o.Silu;
            fixed (float* px = x, pst = convState, pw = weight, pb = bias, py = y, pns = newState)
            fixed (int* pc = cacheSeqlens)
            {
                if (L == 1 && pc == null)
                {
                    SingleTokenLinear(s, px, pst, pw, pb, py, pns, silu);
                    return;
                }
                nint ax = (nint)px, ast = (nint)pst, aw = (nint)pw, ab = (nint)pb, ay = (nint)py, ans = (nint)pns;
                nint ac = (nint)pc;
                RowParallel.For(s.Rows, (long)s.Rows * (L * K + S), o.Threads, (r0, r1) =>
                {
                    var hb = new float[Math.Max(H, 1)];
                    fixed (float* hd = hb)
                        for (int r = r0; r < r1; r++)
                        {
                            int d = r % D, b = r / D;
                            float* st = (float*)ast + (long)r * S, ns = (float*)ans + (long)r * S;
                            float* xr = (float*)ax + (long)r * L;
                            int* cs = (int*)ac;
                            for (int i = 0; i < H; i++) hd[i] = st[HeadPos(cs, b, S, H, i)];
                            ForwardRow(hd, xr, L, (float*)aw + d * K, K, ab == 0 ? 0f : ((float*)ab)[d],
                                (float*)ay + (long)r * L, silu);
                            if (cs == null)
                                for (int i = 0; i < S; i++) ns[i] = i + L < S ? st[i + L] : xr[i + L - S];
                            else
                            {
                                if (ns != st) new Span<float>(st, S).CopyTo(new Span<float>(ns, S));
                                for (int t = 0; t < L; t++) ns[Wrap(cs[b], t, S)] = xr[t];
                            }
                        }
                });
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dNewState·new_state for <see cref="Step"/> (overwritten; dBias may
        /// be empty).</summary>
        public static void StepBackward(in CausalConv1dUpdateShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            ReadOnlySpan<int> cacheSeqlens, ReadOnlySpan<float> dy, ReadOnlySpan<float> dNewState, Span<float> dx,
            Span<float> dConvState, Span<float> dWeight, Span<float> dBias, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, dy.Length,
                dNewState.Length);
            Validate(s, dx.Length, dConvState.Length, dWeight.Length, dBias.Length, 0, dy.Length, dNewState.Length);
            int K = s.Width, L = s.Length, S = s.StateLength, H = K - 1, D = s.Channels, B = s.Batch;
            bool silu = o.Silu;
            fixed (float* px = x, pst = convState, pw = weight, pb = bias, pdy = dy, pdn = dNewState)
            fixed (float* pdx = dx, pds = dConvState, pdw = dWeight, pdb = dBias)
            fixed (int* pc = cacheSeqlens)
            {
                nint ax = (nint)px, ast = (nint)pst, aw = (nint)pw, ab = (nint)pb, ady = (nint)pdy, adn = (nint)pdn;
                nint adx = (nint)pdx, ads = (nint)pds, adw = (nint)pdw, adb = (nint)pdb, ac = (nint)pc;
                RowParallel.For(D, (long)s.Rows * (L * K + S), o.Threads, (d0, d1) =>
                {
                    float[] hb = new float[Math.Max(H, 1)], dhb = new float[Math.Max(H, 1)];
                    var gb = new float[Math.Max(L, 1)];
                    var last = new int[S];
                    fixed (float* hd = hb, dh = dhb, g = gb)
                        for (int d = d0; d < d1; d++)
                        {
                            float* dw = (float*)adw + d * K;
                            new Span<float>(dw, K).Clear();
                            float db = 0;
                            int* cs = (int*)ac;
                            for (int b = 0; b < B; b++)
                            {
                                long r = (long)b * D + d;
                                float* st = (float*)ast + r * S, ds = (float*)ads + r * S, dn = (float*)adn + r * S;
                                float* dxr = (float*)adx + r * L, xr = (float*)ax + r * L;
                                for (int i = 0; i < H; i++) hd[i] = st[HeadPos(cs, b, S, H, i)];
                                db += BackwardRow(hd, xr, L, (float*)aw + d * K, K, ab == 0 ? 0f : ((float*)ab)[d],
                                    (float*)ady + r * L, silu, g, dxr, dh, dw);
                                new Span<float>(ds, S).Clear();
                                for (int i = 0; i < H; i++) ds[HeadPos(cs, b, S, H, i)] += dh[i];
                                if (cs == null)
                                    for (int i = 0; i < S; i++)
                                    {
                                        if (i + L < S) ds[i + L] += dn[i];
                                        else dxr[i + L - S] += dn[i];
                                    }
                                else
                                {
                                    Array.Fill(last, -1);
                                    for (int t = 0; t < L; t++) last[Wrap(cs[b], t, S)] = t;
                                    for (int p = 0; p < S; p++)
                                        if (last[p] < 0) ds[p] += dn[p];
                                        else dxr[last[p]] += dn[p];
                                }
                            }
                            if (adb != 0) ((float*)adb)[d] = db;
                        }
                });
            }
        }

        /// <summary>Decode fast path (one token, linear state): per row y = bias + Σ_k w[k]·window, state shifted left
        /// by one; SiLU applied afterwards in one SIMD pass over all rows.</summary>
        [System.Runtime.CompilerServices.MethodImpl(
            System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static void SingleTokenLinear(in CausalConv1dUpdateShape s, float* x, float* st, float* w, float* b,
            float* y, float* ns, bool silu)
        {
            int K = s.Width, S = s.StateLength, H = K - 1, D = s.Channels, R = s.Rows;
            for (int r = 0; r < R; r++)
            {
                int d = r % D;
                float* sr = st + (long)r * S, nr = ns + (long)r * S, wd = w + d * K, win = sr + S - H;
                float xv = x[r], a = (b == null ? 0f : b[d]) + wd[H] * xv;
                for (int k = 0; k < H; k++) a += wd[k] * win[k];
                y[r] = a;
                for (int i = 0; i + 1 < S; i++) nr[i] = sr[i + 1];
                if (S > 0) nr[S - 1] = xv;
            }
            if (!silu) return;
            int V = System.Numerics.Vector<float>.Count, t = 0;
            for (; t + V <= R; t += V)
                System.Numerics.Vector.Store(SiluVec(System.Numerics.Vector.Load(y + t)), y + t);
            for (; t < R; t++) y[t] = Common.KernelMath.Silu(y[t]);
        }

        /// <summary>State position of the i-th of the H = K-1 inputs preceding the new tokens.</summary>
        private static int HeadPos(int* cacheSeqlens, int b, int S, int H, int i) =>
            cacheSeqlens == null ? S - H + i : Wrap(cacheSeqlens[b], i - H, S);
    }
}
