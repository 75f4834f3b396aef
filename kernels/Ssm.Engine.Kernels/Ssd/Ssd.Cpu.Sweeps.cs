// Register tiles of the two backward sweeps (see Ssd.Cpu.Backward.cs), in the rescaled-block form: a tile is
// `rows` ≤ 4 state rows n × 2 vectors of P. Partial sums over P of dC / dB are accumulated per (token, n) as
// one vector each in `part` (row stride `ps`) and reduced horizontally once per token after all P tiles
// (the caller applies the λ / Γ scale there).
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        // S' = a0·S on entry; per token: S' += B[n]·ũ;  part[i, n] += gy ⊙ S';  y += S'·C[n] (withY);
        // S = λ_end·S' on exit.
        private static unsafe void SweepForward(float* st, int pp, float* u, float* gy, float* y, float a0,
            float lamEnd, float* bt, float* ct, int stride, int tb, float* part, int ps, int rows, bool withY)
        {
            if (rows != 4)
            {
                for (int r = 0; r < rows; r++)
                    SweepForward1(st + r * pp, u, gy, y, pp, a0, lamEnd, bt + r, ct + r, stride, tb, part + r * Lanes,
                        ps, withY);
                return;
            }
            int v = Lanes;
            var av = new Vector<float>(a0);
            Vector<float> s00 = Ld(st) * av, s01 = Ld(st + v) * av, s10 = Ld(st + pp) * av, s11 = Ld(st + pp + v) * av;
            Vector<float> s20 = Ld(st + 2 * pp) * av, s21 = Ld(st + 2 * pp + v) * av;
            Vector<float> s30 = Ld(st + 3 * pp) * av, s31 = Ld(st + 3 * pp + v) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, gi = gy + i * pp, bi = bt + i * stride, pi = part + i * ps;
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v), g0 = Ld(gi), g1 = Ld(gi + v);
                var bb = new Vector<float>(bi[0]);
                s00 = Fma(bb, u0, s00);
                s01 = Fma(bb, u1, s01);
                St(pi, Fma(g1, s01, Fma(g0, s00, Ld(pi))));
                bb = new Vector<float>(bi[1]);
                s10 = Fma(bb, u0, s10);
                s11 = Fma(bb, u1, s11);
                St(pi + v, Fma(g1, s11, Fma(g0, s10, Ld(pi + v))));
                bb = new Vector<float>(bi[2]);
                s20 = Fma(bb, u0, s20);
                s21 = Fma(bb, u1, s21);
                St(pi + 2 * v, Fma(g1, s21, Fma(g0, s20, Ld(pi + 2 * v))));
                bb = new Vector<float>(bi[3]);
                s30 = Fma(bb, u0, s30);
                s31 = Fma(bb, u1, s31);
                St(pi + 3 * v, Fma(g1, s31, Fma(g0, s30, Ld(pi + 3 * v))));
                if (withY)
                {
                    float* yi = y + i * pp, ci = ct + i * stride;
                    AddY4(yi, ci, s00, s01, s10, s11, s20, s21, s30, s31);
                }
            }
            StoreRescaled4(st, pp, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
        }

        private static unsafe void SweepForward1(float* st, float* u, float* gy, float* y, int pp, float a0,
            float lamEnd, float* bt, float* ct, int stride, int tb, float* part, int ps, bool withY)
        {
            int v = Lanes;
            var av = new Vector<float>(a0);
            Vector<float> s0 = Ld(st) * av, s1 = Ld(st + v) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, gi = gy + i * pp, pi = part + i * ps;
                var bb = new Vector<float>(bt[i * stride]);
                s0 = Fma(bb, Ld(ui), s0);
                s1 = Fma(bb, Ld(ui + v), s1);
                St(pi, Fma(Ld(gi + v), s1, Fma(Ld(gi), s0, Ld(pi))));
                if (withY)
                {
                    float* yi = y + i * pp;
                    var cc = new Vector<float>(ct[i * stride]);
                    St(yi, Fma(s0, cc, Ld(yi)));
                    St(yi + v, Fma(s1, cc, Ld(yi + v)));
                }
            }
            var le = new Vector<float>(lamEnd);
            St(st, s0 * le);
            St(st + v, s1 * le);
        }

        // G' = anEnd·G on entry; tokens i = tb−1 … 0: G' += g̃_i·C[n];  du_i += G'·B[n];  part[i, n] += G' ⊙ u_i;
        // G = Γ_0·G' on exit.
        private static unsafe void SweepReverse(float* st, int pp, float* u, float* gy, float* du, float anEnd,
            float gam0, float* bt, float* ct, int stride, int tb, float* part, int ps, int rows)
        {
            if (rows != 4)
            {
                for (int r = 0; r < rows; r++)
                    SweepReverse1(st + r * pp, u, gy, du, pp, anEnd, gam0, bt + r, ct + r, stride, tb,
                        part + r * Lanes, ps);
                return;
            }
            int v = Lanes;
            var av = new Vector<float>(anEnd);
            Vector<float> d00 = Ld(st) * av, d01 = Ld(st + v) * av;
            Vector<float> d10 = Ld(st + pp) * av, d11 = Ld(st + pp + v) * av;
            Vector<float> d20 = Ld(st + 2 * pp) * av, d21 = Ld(st + 2 * pp + v) * av;
            Vector<float> d30 = Ld(st + 3 * pp) * av, d31 = Ld(st + 3 * pp + v) * av;
            for (int i = tb - 1; i >= 0; i--)
            {
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, pi = part + i * ps;
                float* bi = bt + i * stride, ci = ct + i * stride;
                Vector<float> g0 = Ld(gi), g1 = Ld(gi + v);
                var cc = new Vector<float>(ci[0]);
                d00 = Fma(g0, cc, d00);
                d01 = Fma(g1, cc, d01);
                cc = new Vector<float>(ci[1]);
                d10 = Fma(g0, cc, d10);
                d11 = Fma(g1, cc, d11);
                cc = new Vector<float>(ci[2]);
                d20 = Fma(g0, cc, d20);
                d21 = Fma(g1, cc, d21);
                cc = new Vector<float>(ci[3]);
                d30 = Fma(g0, cc, d30);
                d31 = Fma(g1, cc, d31);
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v);
                St(pi, Fma(d01, u1, Fma(d00, u0, Ld(pi))));
                St(pi + v, Fma(d11, u1, Fma(d10, u0, Ld(pi + v))));
                St(pi + 2 * v, Fma(d21, u1, Fma(d20, u0, Ld(pi + 2 * v))));
                St(pi + 3 * v, Fma(d31, u1, Fma(d30, u0, Ld(pi + 3 * v))));
                Vector<float> b0 = new(bi[0]), b1 = new(bi[1]), b2 = new(bi[2]), b3 = new(bi[3]);
                St(di, Fma(d30, b3, Fma(d20, b2, Fma(d10, b1, Fma(d00, b0, Ld(di))))));
                St(di + v, Fma(d31, b3, Fma(d21, b2, Fma(d11, b1, Fma(d01, b0, Ld(di + v))))));
            }
            var ge = new Vector<float>(gam0);
            St(st, d00 * ge); St(st + v, d01 * ge); St(st + pp, d10 * ge); St(st + pp + v, d11 * ge);
            St(st + 2 * pp, d20 * ge); St(st + 2 * pp + v, d21 * ge);
            St(st + 3 * pp, d30 * ge); St(st + 3 * pp + v, d31 * ge);
        }

        private static unsafe void SweepReverse1(float* st, float* u, float* gy, float* du, int pp, float anEnd,
            float gam0, float* bt, float* ct, int stride, int tb, float* part, int ps)
        {
            int v = Lanes;
            var av = new Vector<float>(anEnd);
            Vector<float> d0 = Ld(st) * av, d1 = Ld(st + v) * av;
            for (int i = tb - 1; i >= 0; i--)
            {
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, pi = part + i * ps;
                var cc = new Vector<float>(ct[i * stride]);
                d0 = Fma(Ld(gi), cc, d0);
                d1 = Fma(Ld(gi + v), cc, d1);
                St(pi, Fma(d1, Ld(ui + v), Fma(d0, Ld(ui), Ld(pi))));
                var bb = new Vector<float>(bt[i * stride]);
                St(di, Fma(d0, bb, Ld(di)));
                St(di + v, Fma(d1, bb, Ld(di + v)));
            }
            var ge = new Vector<float>(gam0);
            St(st, d0 * ge);
            St(st + v, d1 * ge);
        }
    
        /// <summary>sums[k] = Σ lanes of the vector at part + k·Lanes, k &lt; count. With AVX and 8 lanes, eight
        /// vectors are reduced together by a horizontal-add tree (7 instructions instead of 8 separate sums).</summary>
        private static unsafe void ReduceLanes(float* part, int count, float* sums)
        {
            int k = 0;
            if (Avx.IsSupported && Vector<float>.Count == 8)
            {
                for (; k + 8 <= count; k += 8)
                {
                    float* q = part + k * 8;
                    var h01 = Avx.HorizontalAdd(Avx.LoadVector256(q), Avx.LoadVector256(q + 8));
                    var h23 = Avx.HorizontalAdd(Avx.LoadVector256(q + 16), Avx.LoadVector256(q + 24));
                    var h45 = Avx.HorizontalAdd(Avx.LoadVector256(q + 32), Avx.LoadVector256(q + 40));
                    var h67 = Avx.HorizontalAdd(Avx.LoadVector256(q + 48), Avx.LoadVector256(q + 56));
                    var a = Avx.HorizontalAdd(h01, h23);
                    var b = Avx.HorizontalAdd(h45, h67);
                    var r = Avx.Add(Avx.Permute2x128(a, b, 0x20), Avx.Permute2x128(a, b, 0x31));
                    Avx.Store(sums + k, r);
                }
            }
            for (; k < count; k++) sums[k] = Vector.Sum(Ld(part + k * Lanes));
        }
    }
}
