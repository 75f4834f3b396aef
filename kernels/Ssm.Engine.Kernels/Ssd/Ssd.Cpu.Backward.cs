// SSD backward on the CPU (serves both forward algorithms): must match Ssd.Reference.Backward.
// Two sweeps per (b, h), no stored states:
//   forward sweep:  S_t = a_t·S_{t−1} + u_t ⊗ B_t;  dC_t[n] += Σ_p gy_t[p]·S_t[p, n]   (gy = dy·silu(z))
//                   (and y_t = S_t·C_t when z is present, for dz)
//   reverse sweep:  G_t = a_{t+1}·G_{t+1} + gy_t ⊗ C_t  (G_{L−1} starts from dFinal);
// Both sweeps keep the rescaled-block form of the forward (one FMA per state element and token for S or G).
//                   du_t = G_t·B_t,  dB_t[n] += Σ_p G_t[p, n]·u_t[p],  dh0 = a_0·G_0
// The log-decay gradient needs no states: with cs_t = Σ_{j≤t} dA_j, ∂S/∂cs_t = gy_t·y_t − u_t·du_t
// (+ ⟨dFinal, final⟩ at t = L−1), gy_t·y_t = C_t·dC_t, and ddA_t = Σ_{k≥t} ∂S/∂cs_k (reverse cumsum).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        private static void RunBackward(Core c, int threads, float[] dx, float[]? ddtv, float[] ddA, float[] dB,
            float[] dC, float[]? dD, float[]? dz, float[]? dh0)
        {
            var s = c.S;
            int bh = s.B * s.H, dPer = c.D is null ? 0 : c.D.Length / s.H;
            var dDpart = dD is null ? null : new double[bh * dPer];
            Array.Clear(dB);
            Array.Clear(dC);
            // A fixed partition of the (b, h) items, one scratch per part, merged in part order: dB and dC get the
            // same bits on every run with the same thread count.
            int parts = Math.Min(bh, Workers(threads)), per = (bh + parts - 1) / parts;
            parts = (bh + per - 1) / per;
            var scratch = new BackwardScratch[parts];
            Parallel.For(0, parts, Parallelism(threads), k =>
            {
                var w = BackwardScratch.Rent(s, c.Pp);
                for (int item = k * per; item < Math.Min(bh, (k + 1) * per); item++)
                    BackwardItem(c, item / s.H, item % s.H, w, dx, ddtv, ddA, dz, dh0, dDpart);
                scratch[k] = w;
            });
            foreach (var w in scratch)
            {
                TensorPrimitives.Add(dB, w.DB.Span, dB);
                TensorPrimitives.Add(dC, w.DC.Span, dC);
                BackwardScratch.Return(w);
            }
            if (dD is null) return;
            Array.Clear(dD);
            for (int i = 0; i < bh; i++)
            for (int k = 0; k < dPer; k++)
                dD[i % s.H * dPer + k] += (float)dDpart![i * dPer + k];
        }

        private static unsafe void BackwardItem(Core c, int b, int h, BackwardScratch bw, float[] dx, float[]? ddtv,
            float[] ddA, float[]? dz, float[]? dh0, double[]? dDpart)
        {
            var s = c.S;
            var w = bw.W;
            int pp = c.Pp, stride = s.G * s.N, g = h / s.HeadsPerGroup, v = Lanes, P = s.P;
            int stateOff = (b * s.H + h) * P * s.N;
            bool withY = c.Z is not null, wide = WideSweeps(c), head = HeadSweeps(c), pn = PnSweeps(c);
            // D per head (or none): dx's skip term is added by the reverse sweep (see there).
            bool skipHead = c.D is null || c.D.Length == s.H;
            float dHead = c.D is null ? 0f : c.D[h];
            // The shared token preparation without the gate (filled by PrepareGates in one vector pass).
            Core cz = withY ? c with { Z = null } : c;
            if (pn) LoadStatePn(c, b, h, bw.StateT.Span);
            else LoadState(c, b, h, 0, pp, w);
            fixed (float* st = w.State, u = w.U, y = w.Y, gy = bw.Gy, du = bw.Du, part = bw.Part, sums = bw.Sums,
                   cdots = bw.CDots, an = bw.ANext, bm = c.Bm, cm = c.Cm, lamp = w.Lam, dbAcc = bw.DB, dcAcc = bw.DC,
                   stT = bw.StateT, dcb = bw.DcBlock, dyp = c.Y)
            {
                // Forward sweep over rescaled blocks (S' = S/λ, see Ssd.Cpu.Recurrent.cs): dC and (with z) y.
                for (int t0 = 0; t0 < s.L;)
                {
                    int tb = PrepareRescaled(cz, b, h, t0, 0, pp, w, clearY: withY);
                    // The forward sweep writes dx only with D per channel; the reverse sweep never writes dz.
                    Prefetch(c, b, h, t0 + tb, Math.Min(s.L, t0 + tb + TokenBlock), skipHead ? null : dx, dz);
                    if (withY) PrepareGates(c, b, h, t0, tb, w);
                    // Without z and padding, gy is dy itself: the (P, N) sweep reads its rows in place.
                    bool dyRows = pn && P == pp;
                    if (!dyRows) Cotangents(c, b, h, t0, tb, bw, null);
                    float* gyt = dyRows ? dyp + ((long)(b * s.L + t0) * s.H + h) * P : gy;
                    int gs = dyRows ? s.H * P : pp;
                    float a0 = w.Decay[0], lamEnd = w.Lam[tb - 1];
                    float* bt = bm + ((b * s.L + t0) * s.G + g) * s.N, ct = cm + ((b * s.L + t0) * s.G + g) * s.N;
                    if (pn)
                    {
                        new Span<float>(dcb, tb * s.N).Clear();
                        for (int nt = 0; nt < s.N; nt += PnCols)
                        for (int pt = 0; pt < pp; pt += PnRows)
                            SweepForwardPn(stT + pt * s.N + nt, s.N, u + pt, gyt + pt, pp, gs, a0, lamEnd, bt + nt,
                                stride, tb, dcb + nt);
                        AddBlockDc(dcb, s.N, lamp, dcAcc + (bt - bm), ct, stride, tb, cdots);
                    }
                    else new Span<float>(cdots, tb).Clear();
                    // The (N, P) sweep, when the (P, N) one above did not run: n-tiles outside P tiles, so one n-tile's
                    // partials (tb × 4 vectors) stay in L1.
                    for (int n = 0; n < (pn ? 0 : s.N); n += 4)
                    {
                        int rows = Math.Min(4, s.N - n);
                        if (head && rows == 4)
                        {
                            SweepForwardHead(st + n * pp, u, gy, y, a0, lamEnd, bt + n, ct + n, stride, tb,
                                dcAcc + (bt - bm) + n, lamp, cdots, withY);
                            continue;
                        }
                        new Span<float>(part, tb * 4 * v).Clear();
                        if (wide && rows == 4)
                            for (int pt = 0; pt < pp; pt += WideP)
                                SweepForwardWide(st + n * pp + pt, pp, u + pt, gy + pt, y + pt, a0, lamEnd, bt + n,
                                    ct + n, stride, tb, part, 4 * v, withY);
                        else
                            for (int pt = 0; pt < pp; pt += 2 * v)
                                SweepForward(st + n * pp + pt, pp, u + pt, gy + pt, y + pt, a0, lamEnd, bt + n,
                                    ct + n, stride, tb, part, 4 * v, rows, withY);
                        ReduceLanes(part, tb * 4, sums);
                        for (int i = 0; i < tb; i++)
                        {
                            float* dci = dcAcc + (bt - bm) + i * stride + n, ci = ct + i * stride + n;
                            if (rows == 4)
                            {
                                var dc4 = Vector128.Load(sums + i * 4) * lamp[i];
                                Vector128.Store(Vector128.Load(dci) + dc4, dci);
                                cdots[i] += Vector128.Dot(dc4, Vector128.Load(ci));
                                continue;
                            }
                            for (int r = 0; r < rows; r++)
                            {
                                float dcv = lamp[i] * sums[i * 4 + r];
                                dci[r] += dcv;
                                cdots[i] += dcv * ci[r];
                            }
                        }
                    }
                    for (int i = 0; i < tb; i++)
                    {
                        int t = t0 + i, it = (b * s.L + t) * s.H + h;
                        float lam = w.Lam[i];
                        bw.CDot[t] = cdots[i];
                        if (c.D is null && !withY) continue;     // no dD, no dz: nothing per token here
                        if (skipHead)
                        {
                            GateAndSkipHead(c, it, i, h, lam, w, bw, dz, dDpart, b * s.H + h);
                            continue;
                        }
                        if (withY) TensorPrimitives.Multiply(w.Y.AsSpan(i * pp, P), lam, w.Y.AsSpan(i * pp, P));
                        GateAndSkip(c, it, i, h, w, bw, dx, dz, dDpart, (b * s.H + h));
                    }
                    t0 += tb;
                }
                double fin = 0;
                if (c.Final is not null)
                    for (int p = 0; p < P; p++)
                    for (int n = 0; n < s.N; n++)
                        fin += (double)c.Final[stateOff + p * s.N + n] * (pn ? stT[p * s.N + n] : st[n * pp + p]);
                // Reverse sweep from G = dFinal over rescaled blocks: G = Γ_i·G' with Γ_i the decay from token i to
                // the block's last token, so G' += (gy_i/Γ_i) ⊗ C_i is one FMA per element.
                for (int n = 0; n < s.N; n++) w.State.AsSpan(n * pp, pp).Clear();
                if (c.Final is not null)
                    for (int p = 0; p < P; p++)
                    for (int n = 0; n < s.N; n++)
                        w.State[n * pp + p] = c.Final[stateOff + p * s.N + n];
                double run = 0;
                for (int tEnd = s.L; tEnd > 0;)
                {
                    int tb = ReverseBlock(c, b, h, tEnd, w, an);
                    int t0 = tEnd - tb;
                    Prefetch(c, b, h, Math.Max(0, t0 - TokenBlock), t0, dx, null);
                    PrepareTokens(cz, b, h, t0, tb, 0, pp, w, decay: false, clearY: false);
                    if (withY) PrepareGates(c, b, h, t0, tb, w);
                    Cotangents(c, b, h, t0, tb, bw, w.Lam);
                    float anEnd = tEnd < s.L ? MathF.Exp(c.DA[(b * s.L + tEnd) * s.H + h]) : 1f, gam0 = w.Lam[0];
                    new Span<float>(du, tb * pp).Clear();
                    float* bt = bm + ((b * s.L + t0) * s.G + g) * s.N, ct = cm + ((b * s.L + t0) * s.G + g) * s.N;
                    for (int n = 0; n < s.N; n += 4)
                    {
                        int rows = Math.Min(4, s.N - n);
                        if (head && rows == 4)
                        {
                            SweepReverseHead(st + n * pp, u, gy, du, anEnd, gam0, bt + n, ct + n, stride, tb,
                                dbAcc + (bt - bm) + n, lamp);
                            continue;
                        }
                        new Span<float>(part, tb * 4 * v).Clear();
                        if (wide && rows == 4)
                            for (int pt = 0; pt < pp; pt += WideP)
                                SweepReverseWide(st + n * pp + pt, pp, u + pt, gy + pt, du + pt, anEnd, gam0,
                                    bt + n, ct + n, stride, tb, part, 4 * v);
                        else
                            for (int pt = 0; pt < pp; pt += 2 * v)
                                SweepReverse(st + n * pp + pt, pp, u + pt, gy + pt, du + pt, anEnd, gam0, bt + n,
                                    ct + n, stride, tb, part, 4 * v, rows);
                        ReduceLanes(part, tb * 4, sums);
                        for (int i = 0; i < tb; i++)
                        {
                            float* dbi = dbAcc + (bt - bm) + i * stride + n;
                            if (rows == 4)
                                Vector128.Store(Vector128.Load(dbi) + Vector128.Load(sums + i * 4) * lamp[i], dbi);
                            else
                                for (int r = 0; r < rows; r++) dbi[r] += lamp[i] * sums[i * 4 + r];
                        }
                    }
                    // With D per head (or none) the skip term gy·D of dx is added here, where the Gy rows hold
                    // gy/Γ, so dx is written once; D per channel wrote it in the forward sweep.
                    for (int i = tb - 1; i >= 0; i--)
                    {
                        int t = t0 + i, it = (b * s.L + t) * s.H + h;
                        float gam = w.Lam[i];
                        float sc = c.Scale?[it] ?? 1f;
                        float dsc = ScaleDu(bw.Du.AsSpan(i * pp, P), gam, c.X.AsSpan(it * P, P), sc,
                            dx.AsSpan(it * P, P), bw.Gy.AsSpan(i * pp, P), skipHead ? dHead * gam : 0f, !skipHead);
                        if (ddtv is not null) ddtv[it] = dsc;
                        run += bw.CDot[t] - (double)sc * dsc;
                        ddA[it] = (float)(run + fin);
                    }
                    tEnd = t0;
                }
                if (dh0 is not null)
                {
                    float a0 = MathF.Exp(c.DA[(b * s.L) * s.H + h]);
                    for (int p = 0; p < P; p++)
                    for (int n = 0; n < s.N; n++)
                        dh0[stateOff + p * s.N + n] = a0 * w.State[n * pp + p];
                }
            }
        }

        /// <summary>The (Pp, N) state of the (P, N) forward sweep from h0 (the same layout), padding rows zero.</summary>
        private static void LoadStatePn(Core c, int b, int h, Span<float> stateT)
        {
            var s = c.S;
            stateT.Clear();
            if (c.H0 is not null) c.H0.AsSpan((b * s.H + h) * s.P * s.N, s.P * s.N).CopyTo(stateT);
        }

        /// <summary>Prefetches the (B, L, H, P) rows of x, z, dy and (when given) dx, dz for tokens [t0, t1) of head h.
        /// One head walks its tokens at a stride of H·P floats, past the hardware prefetchers' page limit, so without
        /// this every token row of the next block is a demand miss (the glue around the sweeps was latency-bound).
        /// </summary>
        private static unsafe void Prefetch(Core c, int b, int h, int t0, int t1, float[]? dx, float[]? dz)
        {
            if (!Sse.IsSupported || t0 >= t1) return;
            var s = c.S;
            int P = s.P;
            fixed (float* px = c.X, pz = c.Z, py = c.Y, pdx = dx, pdz = dz)
            {
                for (int t = t0; t < t1; t++)
                {
                    long ix = ((long)(b * s.L + t) * s.H + h) * P;
                    for (int p = 0; p < P; p += 16)
                    {
                        Sse.Prefetch0(px + ix + p);
                        Sse.Prefetch0(py + ix + p);
                        if (pdx != null) Sse.Prefetch0(pdx + ix + p);
                        if (pz != null) Sse.Prefetch0(pz + ix + p);
                        if (pdz != null) Sse.Prefetch0(pdz + ix + p);
                    }
                }
            }
        }

        /// <summary>Length tb ≥ 1 of the reverse block ending before <paramref name="tEnd"/>, and Lam[i] = Γ_i =
        /// Π_{i&lt;k&lt;tb} a_{t0+k} (t0 = tEnd − tb), kept ≥ e^RescaleFloor so 1/Γ stays finite.</summary>
        private static unsafe int ReverseBlock(Core c, int b, int h, int tEnd, Scratch w, float* logs)
        {
            var s = c.S;
            int tb = 1, max = Math.Min(TokenBlock, tEnd);
            float cum = 0f;
            logs[0] = 0f;
            while (tb < max)
            {
                float next = cum + c.DA[(b * s.L + tEnd - tb) * s.H + h];
                if (next < RescaleFloor) break;
                cum = next;
                logs[tb++] = cum;
            }
            for (int i = 0; i < tb; i++) w.Lam[i] = MathF.Exp(logs[tb - 1 - i]);
            return tb;
        }
    }
}
