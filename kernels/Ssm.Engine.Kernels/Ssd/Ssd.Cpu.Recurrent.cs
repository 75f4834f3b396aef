// Recurrent SSD forward on the CPU: must match Ssd.Reference.Forward.
//   S[n, p] = a_t·S[n, p] + B_t[n]·u_t[p],   y[t, p] = Σ_n S[n, p]·C_t[n]     (a_t = exp(dA_t), u_t = s_t·x_t)
// Rescaled blocks: inside a block of ≤ TokenBlock tokens the state is kept as S' = S/λ_t (λ_t = decay since the
// block's first token), so S' += B_t ⊗ (u_t/λ_t) and y_t = λ_t·(S'·C_t): 2 FMA per state element and token
// instead of mul + 2 FMA. Register tile: 2 vectors of P × 4 state rows n stay in registers across the block.
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        // Log-decay floor of one rescaled block: 1/λ stays below e^60 ≈ 1e26, far from float overflow.
        private const float RescaleFloor = -60f;

        // P lanes of one 512-bit register tile (two vectors of 16).
        private const int WideP = 32;

        /// <summary>Whether the forward recurrence uses the 512-bit 8-row tiles: AVX-512 present and P padded to a
        /// multiple of <see cref="WideP"/>.</summary>
        private static bool WideTiles(Core c) => Vector512.IsHardwareAccelerated && c.Pp % WideP == 0;

        private static unsafe void RecurrentItem(Core c, int b, int h, int p0, int p1, Scratch w)
        {
            var s = c.S;
            int pp = c.Pp, n4 = s.N / 4 * 4, stride = s.G * s.N, g = h / s.HeadsPerGroup, lanes = Lanes;
            fixed (float* st = w.State, u = w.U, y = w.Y, lam = w.Lam, bm = c.Bm, cm = c.Cm)
            {
                for (int t0 = 0; t0 < s.L;)
                {
                    int tb = PrepareRescaled(c, b, h, t0, p0, p1, w);
                    float a0 = w.Decay[0], lamEnd = lam[tb - 1];
                    float* bt = bm + ((b * s.L + t0) * s.G + g) * s.N, ct = cm + ((b * s.L + t0) * s.G + g) * s.N;
                    // 512-bit tiles (8 state rows × 32 P) first where they fit; the 256-bit tiles take the rest.
                    int n8 = WideTiles(c) ? s.N / 8 * 8 : 0;
                    for (int pt = p0; pt < p1 && n8 > 0; pt += WideP)
                    for (int n = 0; n < n8; n += 8)
                        Tile8Wide(st + n * pp + pt, pp, u + pt, y + pt, a0, lamEnd, bt + n, ct + n, stride, tb);
                    for (int pt = p0; pt < p1 && n8 < s.N; pt += 2 * lanes)
                    {
                        int n = n8;
                        for (; n < n4; n += 4)
                            Tile4(st + n * pp + pt, pp, u + pt, y + pt, a0, lamEnd, bt + n, ct + n, stride, tb);
                        for (; n < s.N; n++)
                            Tile1(st + n * pp + pt, u + pt, y + pt, pp, a0, lamEnd, bt + n, ct + n, stride, tb);
                    }
                    WriteOutput(c, b, h, t0, tb, p0, p1, w, scaled: true);
                    t0 += tb;
                }
            }
        }

        /// <summary>Prepares a rescaled block at t0 and returns its length tb ≥ 1: Decay[0] = a_{t0} (applied to the
        /// state on entry), λ_i = Π_{0&lt;j≤i} a_{t0+j} (Lam), U_i = s·x/λ_i, Y = 0, gates. The block ends before
        /// log λ would drop under <see cref="RescaleFloor"/>, so the rescaled state S' = S/λ stays finite.</summary>
        private static int PrepareRescaled(Core c, int b, int h, int t0, int p0, int p1, Scratch w, bool clearY = true)
        {
            var s = c.S;
            int max = Math.Min(TokenBlock, s.L - t0), tb = 1, baseIt = (b * s.L + t0) * s.H + h;
            float cum = 0f;
            w.Lam[0] = 1f;
            while (tb < max)
            {
                float next = cum + c.DA[baseIt + tb * s.H];
                if (next < RescaleFloor) break;
                cum = next;
                w.Lam[tb++] = cum;
            }
            Span<float> inv = stackalloc float[tb];
            inv[0] = 1f;
            for (int i = 1; i < tb; i++)
            {
                inv[i] = MathF.Exp(-w.Lam[i]);
                w.Lam[i] = MathF.Exp(w.Lam[i]);
            }
            PrepareTokens(c, b, h, t0, tb, p0, p1, w, decay: false, inv, clearY);
            w.Decay[0] = MathF.Exp(c.DA[baseIt]);
            return tb;
        }

        // Rescaled block: S' = a0·S on entry; per token S' += B[n]·ũ (1 FMA), Y += S'·C[n] (1 FMA); S = λ_end·S'.
        // st: 4 state rows (stride pp) × 2 vectors; u, y: token rows (stride pp); bt, ct: B/C of token 0 at row n.
        private static unsafe void Tile4(float* st, int pp, float* u, float* y, float a0, float lamEnd, float* bt,
            float* ct, int stride, int tb)
        {
            int v = Lanes;
            var av = new Vector<float>(a0);
            Vector<float> s00 = Ld(st) * av, s01 = Ld(st + v) * av, s10 = Ld(st + pp) * av, s11 = Ld(st + pp + v) * av;
            Vector<float> s20 = Ld(st + 2 * pp) * av, s21 = Ld(st + 2 * pp + v) * av;
            Vector<float> s30 = Ld(st + 3 * pp) * av, s31 = Ld(st + 3 * pp + v) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, yi = y + i * pp, bi = bt + i * stride, ci = ct + i * stride;
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v);
                var bb = new Vector<float>(bi[0]);
                s00 = Fma(bb, u0, s00);
                s01 = Fma(bb, u1, s01);
                bb = new Vector<float>(bi[1]);
                s10 = Fma(bb, u0, s10);
                s11 = Fma(bb, u1, s11);
                bb = new Vector<float>(bi[2]);
                s20 = Fma(bb, u0, s20);
                s21 = Fma(bb, u1, s21);
                bb = new Vector<float>(bi[3]);
                s30 = Fma(bb, u0, s30);
                s31 = Fma(bb, u1, s31);
                AddY4(yi, ci, s00, s01, s10, s11, s20, s21, s30, s31);
            }
            StoreRescaled4(st, pp, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
        }

        // Tile4's scheme on 512-bit registers: 8 state rows × 2 vectors of 16 P lanes (16 accumulators, which the
        // 32 AVX-512 registers hold), y summed as two partial chains of 4 rows to keep its latency short.
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void Tile8Wide(float* st, int pp, float* u, float* y, float a0, float lamEnd, float* bt,
            float* ct, int stride, int tb)
        {
            var av = Vector512.Create(a0);
            Vector512<float> s00 = L5(st) * av, s01 = L5(st + 16) * av, s10 = L5(st + pp) * av;
            Vector512<float> s11 = L5(st + pp + 16) * av, s20 = L5(st + 2 * pp) * av, s21 = L5(st + 2 * pp + 16) * av;
            Vector512<float> s30 = L5(st + 3 * pp) * av, s31 = L5(st + 3 * pp + 16) * av, s40 = L5(st + 4 * pp) * av;
            Vector512<float> s41 = L5(st + 4 * pp + 16) * av, s50 = L5(st + 5 * pp) * av;
            Vector512<float> s51 = L5(st + 5 * pp + 16) * av, s60 = L5(st + 6 * pp) * av;
            Vector512<float> s61 = L5(st + 6 * pp + 16) * av, s70 = L5(st + 7 * pp) * av;
            Vector512<float> s71 = L5(st + 7 * pp + 16) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, yi = y + i * pp, bi = bt + i * stride, ci = ct + i * stride;
                Vector512<float> u0 = L5(ui), u1 = L5(ui + 16);
                Vector512<float> bb = Vector512.Create(bi[0]);
                s00 = F5(bb, u0, s00); s01 = F5(bb, u1, s01);
                bb = Vector512.Create(bi[1]);
                s10 = F5(bb, u0, s10); s11 = F5(bb, u1, s11);
                bb = Vector512.Create(bi[2]);
                s20 = F5(bb, u0, s20); s21 = F5(bb, u1, s21);
                bb = Vector512.Create(bi[3]);
                s30 = F5(bb, u0, s30); s31 = F5(bb, u1, s31);
                bb = Vector512.Create(bi[4]);
                s40 = F5(bb, u0, s40); s41 = F5(bb, u1, s41);
                bb = Vector512.Create(bi[5]);
                s50 = F5(bb, u0, s50); s51 = F5(bb, u1, s51);
                bb = Vector512.Create(bi[6]);
                s60 = F5(bb, u0, s60); s61 = F5(bb, u1, s61);
                bb = Vector512.Create(bi[7]);
                s70 = F5(bb, u0, s70); s71 = F5(bb, u1, s71);
                Vector512<float> c0 = Vector512.Create(ci[0]), c4 = Vector512.Create(ci[4]);
                Vector512<float> ya0 = F5(s00, c0, L5(yi)), ya1 = F5(s01, c0, L5(yi + 16));
                Vector512<float> yb0 = s40 * c4, yb1 = s41 * c4;
                c0 = Vector512.Create(ci[1]);
                c4 = Vector512.Create(ci[5]);
                ya0 = F5(s10, c0, ya0); ya1 = F5(s11, c0, ya1); yb0 = F5(s50, c4, yb0); yb1 = F5(s51, c4, yb1);
                c0 = Vector512.Create(ci[2]);
                c4 = Vector512.Create(ci[6]);
                ya0 = F5(s20, c0, ya0); ya1 = F5(s21, c0, ya1); yb0 = F5(s60, c4, yb0); yb1 = F5(s61, c4, yb1);
                c0 = Vector512.Create(ci[3]);
                c4 = Vector512.Create(ci[7]);
                ya0 = F5(s30, c0, ya0); ya1 = F5(s31, c0, ya1); yb0 = F5(s70, c4, yb0); yb1 = F5(s71, c4, yb1);
                Vector512.Store(ya0 + yb0, yi);
                Vector512.Store(ya1 + yb1, yi + 16);
            }
            StoreScaled4Wide(st, pp, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
            StoreScaled4Wide(st + 4 * pp, pp, lamEnd, s40, s41, s50, s51, s60, s61, s70, s71);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe Vector512<float> L5(float* p) => Vector512.Load(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> F5(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
            Vector512.FusedMultiplyAdd(a, b, c);

        // One state row (remainder of N not divisible by 4), same rescaled scheme.
        private static unsafe void Tile1(float* st, float* u, float* y, int pp, float a0, float lamEnd, float* bt,
            float* ct, int stride, int tb)
        {
            int v = Lanes;
            var av = new Vector<float>(a0);
            Vector<float> s0 = Ld(st) * av, s1 = Ld(st + v) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, yi = y + i * pp;
                var bb = new Vector<float>(bt[i * stride]);
                s0 = Fma(bb, Ld(ui), s0);
                s1 = Fma(bb, Ld(ui + v), s1);
                var cc = new Vector<float>(ct[i * stride]);
                St(yi, Fma(s0, cc, Ld(yi)));
                St(yi + v, Fma(s1, cc, Ld(yi + v)));
            }
            var le = new Vector<float>(lamEnd);
            St(st, s0 * le);
            St(st + v, s1 * le);
        }
    }
}
