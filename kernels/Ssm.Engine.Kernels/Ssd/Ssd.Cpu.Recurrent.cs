// Recurrent SSD forward on the CPU: must match Ssd.Reference.Forward.
//   S[n, p] = a_t·S[n, p] + B_t[n]·u_t[p],   Y[t, p] += S[n, p]·C_t[n]     (a_t = exp(dA_t), u_t = s_t·x_t)
// Register tile: 2 vectors of P × 4 state rows n, i.e. 8 state vectors stay in registers across a block of
// TokenBlock tokens; per state vector and token: 1 mul (B·u) + 2 FMA (decay-add, y accumulation).
using System.Numerics;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        private static unsafe void RecurrentItem(Core c, int b, int h, int p0, int p1, Scratch w)
        {
            var s = c.S;
            int pp = c.Pp, n4 = s.N / 4 * 4, stride = s.G * s.N, g = h / s.HeadsPerGroup, lanes = Lanes;
            fixed (float* st = w.State, u = w.U, y = w.Y, a = w.Decay, bm = c.Bm, cm = c.Cm)
            {
                for (int t0 = 0; t0 < s.L; t0 += TokenBlock)
                {
                    int tb = Math.Min(TokenBlock, s.L - t0);
                    PrepareTokens(c, b, h, t0, tb, p0, p1, w);
                    float* bt = bm + ((b * s.L + t0) * s.G + g) * s.N, ct = cm + ((b * s.L + t0) * s.G + g) * s.N;
                    for (int pt = p0; pt < p1; pt += 2 * lanes)
                    {
                        int n = 0;
                        for (; n < n4; n += 4) Tile4(st + n * pp + pt, pp, u + pt, y + pt, a, bt + n, ct + n, stride, tb);
                        for (; n < s.N; n++) Tile1(st + n * pp + pt, u + pt, y + pt, pp, a, bt + n, ct + n, stride, tb);
                    }
                    WriteOutput(c, b, h, t0, tb, p0, p1, w);
                }
            }
        }

        // st: 4 state rows (stride pp) × 2 vectors; u, y: token rows (stride pp); bt, ct: B/C of token 0 at row n.
        private static unsafe void Tile4(float* st, int pp, float* u, float* y, float* a, float* bt, float* ct,
            int stride, int tb)
        {
            int v = Lanes;
            Vector<float> s00 = Ld(st), s01 = Ld(st + v), s10 = Ld(st + pp), s11 = Ld(st + pp + v);
            Vector<float> s20 = Ld(st + 2 * pp), s21 = Ld(st + 2 * pp + v);
            Vector<float> s30 = Ld(st + 3 * pp), s31 = Ld(st + 3 * pp + v);
            for (int i = 0; i < tb; i++)
            {
                var av = new Vector<float>(a[i]);
                float* ui = u + i * pp, yi = y + i * pp, bi = bt + i * stride, ci = ct + i * stride;
                Vector<float> u0 = Ld(ui), u1 = Ld(ui + v);
                var bb = new Vector<float>(bi[0]);
                s00 = Fma(s00, av, bb * u0);
                s01 = Fma(s01, av, bb * u1);
                bb = new Vector<float>(bi[1]);
                s10 = Fma(s10, av, bb * u0);
                s11 = Fma(s11, av, bb * u1);
                bb = new Vector<float>(bi[2]);
                s20 = Fma(s20, av, bb * u0);
                s21 = Fma(s21, av, bb * u1);
                bb = new Vector<float>(bi[3]);
                s30 = Fma(s30, av, bb * u0);
                s31 = Fma(s31, av, bb * u1);
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
            St(st, s00); St(st + v, s01); St(st + pp, s10); St(st + pp + v, s11);
            St(st + 2 * pp, s20); St(st + 2 * pp + v, s21); St(st + 3 * pp, s30); St(st + 3 * pp + v, s31);
        }

        // One state row (remainder of N not divisible by 4).
        private static unsafe void Tile1(float* st, float* u, float* y, int pp, float* a, float* bt, float* ct,
            int stride, int tb)
        {
            int v = Lanes;
            Vector<float> s0 = Ld(st), s1 = Ld(st + v);
            for (int i = 0; i < tb; i++)
            {
                var av = new Vector<float>(a[i]);
                float* ui = u + i * pp, yi = y + i * pp;
                var bb = new Vector<float>(bt[i * stride]);
                s0 = Fma(s0, av, bb * Ld(ui));
                s1 = Fma(s1, av, bb * Ld(ui + v));
                var cc = new Vector<float>(ct[i * stride]);
                St(yi, Fma(s0, cc, Ld(yi)));
                St(yi + v, Fma(s1, cc, Ld(yi + v)));
            }
            St(st, s0);
            St(st + v, s1);
        }
    }
}
