// Register tiles of the two backward sweeps (see Ssd.Cpu.Backward.cs). A tile is `rows` ≤ 4 state rows n ×
// 2 vectors of P. Partial sums over P of dC / dB are accumulated per (token, n) as one vector each in `part`
// (row stride `ps`), reduced horizontally once per token after all P tiles.
using System.Numerics;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        // S = a·S + B[n]·u;  part[i, n] += gy ⊙ S;  y += S·C[n] (withY).
        private static unsafe void SweepForward(float* st, int pp, float* u, float* gy, float* y, float* a,
            float* bt, float* ct, int stride, int tb, float* part, int ps, int rows, bool withY)
        {
            if (rows != 4)
            {
                for (int r = 0; r < rows; r++)
                    SweepForward1(st + r * pp, pp, u, gy, y, a, bt + r, ct + r, stride, tb, part + r * Lanes, ps, withY);
                return;
            }
            int v = Lanes;
            Vector<float> s00 = Ld(st), s01 = Ld(st + v), s10 = Ld(st + pp), s11 = Ld(st + pp + v);
            Vector<float> s20 = Ld(st + 2 * pp), s21 = Ld(st + 2 * pp + v);
            Vector<float> s30 = Ld(st + 3 * pp), s31 = Ld(st + 3 * pp + v);
            for (int i = 0; i < tb; i++)
            {
                var av = new Vector<float>(a[i]);
                float* ui = u + i * pp, gi = gy + i * pp, bi = bt + i * stride, pi = part + i * ps;
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v), g0 = Ld(gi), g1 = Ld(gi + v);
                var bb = new Vector<float>(bi[0]);
                s00 = Fma(s00, av, bb * u0);
                s01 = Fma(s01, av, bb * u1);
                St(pi, Ld(pi) + Fma(g1, s01, g0 * s00));
                bb = new Vector<float>(bi[1]);
                s10 = Fma(s10, av, bb * u0);
                s11 = Fma(s11, av, bb * u1);
                St(pi + v, Ld(pi + v) + Fma(g1, s11, g0 * s10));
                bb = new Vector<float>(bi[2]);
                s20 = Fma(s20, av, bb * u0);
                s21 = Fma(s21, av, bb * u1);
                St(pi + 2 * v, Ld(pi + 2 * v) + Fma(g1, s21, g0 * s20));
                bb = new Vector<float>(bi[3]);
                s30 = Fma(s30, av, bb * u0);
                s31 = Fma(s31, av, bb * u1);
                St(pi + 3 * v, Ld(pi + 3 * v) + Fma(g1, s31, g0 * s30));
                if (withY)
                {
                    float* yi = y + i * pp, ci = ct + i * stride;
                    var cc = new Vector<float>(ci[0]);
                    Vector<float> y0 = Fma(s00, cc, Ld(yi)), y1 = Fma(s01, cc, Ld(yi + v));
                    cc = new Vector<float>(ci[1]);
                    y0 = Fma(s10, cc, y0);
                    y1 = Fma(s11, cc, y1);
                    cc = new Vector<float>(ci[2]);
                    y0 = Fma(s20, cc, y0);
                    y1 = Fma(s21, cc, y1);
                    cc = new Vector<float>(ci[3]);
                    St(yi, Fma(s30, cc, y0));
                    St(yi + v, Fma(s31, cc, y1));
                }
            }
            St(st, s00); St(st + v, s01); St(st + pp, s10); St(st + pp + v, s11);
            St(st + 2 * pp, s20); St(st + 2 * pp + v, s21); St(st + 3 * pp, s30); St(st + 3 * pp + v, s31);
        }

        private static unsafe void SweepForward1(float* st, int pp, float* u, float* gy, float* y, float* a,
            float* bt, float* ct, int stride, int tb, float* part, int ps, bool withY)
        {
            int v = Lanes;
            Vector<float> s0 = Ld(st), s1 = Ld(st + v);
            for (int i = 0; i < tb; i++)
            {
                var av = new Vector<float>(a[i]);
                float* ui = u + i * pp, gi = gy + i * pp, pi = part + i * ps;
                var bb = new Vector<float>(bt[i * stride]);
                s0 = Fma(s0, av, bb * Ld(ui));
                s1 = Fma(s1, av, bb * Ld(ui + v));
                St(pi, Ld(pi) + Fma(Ld(gi + v), s1, Ld(gi) * s0));
                if (withY)
                {
                    float* yi = y + i * pp;
                    var cc = new Vector<float>(ct[i * stride]);
                    St(yi, Fma(s0, cc, Ld(yi)));
                    St(yi + v, Fma(s1, cc, Ld(yi + v)));
                }
            }
            St(st, s0);
            St(st + v, s1);
        }

        // Tokens i = tb−1 … 0:  G = an_i·G + gy_i·C[n];  du_i += G·B[n];  part[i, n] += G ⊙ u_i.
        private static unsafe void SweepReverse(float* st, int pp, float* u, float* gy, float* du, float* an,
            float* bt, float* ct, int stride, int tb, float* part, int ps, int rows)
        {
            if (rows != 4)
            {
                for (int r = 0; r < rows; r++)
                    SweepReverse1(st + r * pp, pp, u, gy, du, an, bt + r, ct + r, stride, tb, part + r * Lanes, ps);
                return;
            }
            int v = Lanes;
            Vector<float> d00 = Ld(st), d01 = Ld(st + v), d10 = Ld(st + pp), d11 = Ld(st + pp + v);
            Vector<float> d20 = Ld(st + 2 * pp), d21 = Ld(st + 2 * pp + v);
            Vector<float> d30 = Ld(st + 3 * pp), d31 = Ld(st + 3 * pp + v);
            for (int i = tb - 1; i >= 0; i--)
            {
                var av = new Vector<float>(an[i]);
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, pi = part + i * ps;
                float* bi = bt + i * stride, ci = ct + i * stride;
                Vector<float> g0 = Ld(gi), g1 = Ld(gi + v);
                var cc = new Vector<float>(ci[0]);
                d00 = Fma(d00, av, g0 * cc);
                d01 = Fma(d01, av, g1 * cc);
                cc = new Vector<float>(ci[1]);
                d10 = Fma(d10, av, g0 * cc);
                d11 = Fma(d11, av, g1 * cc);
                cc = new Vector<float>(ci[2]);
                d20 = Fma(d20, av, g0 * cc);
                d21 = Fma(d21, av, g1 * cc);
                cc = new Vector<float>(ci[3]);
                d30 = Fma(d30, av, g0 * cc);
                d31 = Fma(d31, av, g1 * cc);
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v);
                St(pi, Ld(pi) + Fma(d01, u1, d00 * u0));
                St(pi + v, Ld(pi + v) + Fma(d11, u1, d10 * u0));
                St(pi + 2 * v, Ld(pi + 2 * v) + Fma(d21, u1, d20 * u0));
                St(pi + 3 * v, Ld(pi + 3 * v) + Fma(d31, u1, d30 * u0));
                Vector<float> b0 = new(bi[0]), b1 = new(bi[1]), b2 = new(bi[2]), b3 = new(bi[3]);
                St(di, Fma(d30, b3, Fma(d20, b2, Fma(d10, b1, Fma(d00, b0, Ld(di))))));
                St(di + v, Fma(d31, b3, Fma(d21, b2, Fma(d11, b1, Fma(d01, b0, Ld(di + v))))));
            }
            St(st, d00); St(st + v, d01); St(st + pp, d10); St(st + pp + v, d11);
            St(st + 2 * pp, d20); St(st + 2 * pp + v, d21); St(st + 3 * pp, d30); St(st + 3 * pp + v, d31);
        }

        private static unsafe void SweepReverse1(float* st, int pp, float* u, float* gy, float* du, float* an,
            float* bt, float* ct, int stride, int tb, float* part, int ps)
        {
            int v = Lanes;
            Vector<float> d0 = Ld(st), d1 = Ld(st + v);
            for (int i = tb - 1; i >= 0; i--)
            {
                var av = new Vector<float>(an[i]);
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, pi = part + i * ps;
                var cc = new Vector<float>(ct[i * stride]);
                d0 = Fma(d0, av, Ld(gi) * cc);
                d1 = Fma(d1, av, Ld(gi + v) * cc);
                St(pi, Ld(pi) + Fma(d1, Ld(ui + v), d0 * Ld(ui)));
                var bb = new Vector<float>(bt[i * stride]);
                St(di, Fma(d0, bb, Ld(di)));
                St(di + v, Fma(d1, bb, Ld(di + v)));
            }
            St(st, d0);
            St(st + v, d1);
        }
    }
}
