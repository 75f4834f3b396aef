// The backward sweeps for a head of exactly 64 P lanes on AVX-512: a tile is 4 state rows n × the whole head
// (4 vectors of 16), 16 registers. With all of P in registers, the partial sum over P of dC / dB for a (token, n)
// is complete inside the tile: both sweeps reduce the tile's four rows in registers and update dC / dB themselves
// (no partial sums in memory). Same recurrences as
// Ssd.Cpu.Sweeps.cs; Ssd.Cpu.SweepsWide.cs serves other padded head sizes.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        // P lanes of one whole-head tile.
        private const int HeadP = 64;

        /// <summary>Whether the backward sweeps use the whole-head tiles: AVX-512 present and P padded to exactly
        /// <see cref="HeadP"/>.</summary>
        private static bool HeadSweeps(Core c) => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && c.Pp == HeadP;

        // SweepForward for rows = 4 over the whole head, with the dC update done here: the four sums over P of
        // gy_i ⊙ S'_i[n + r] are reduced in registers, dc = λ_i·sum is added into dC_i[n..n+4] and C_i·dc into
        // cdots[i].
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void SweepForwardHead(float* st, float* u, float* gy, float* y, float a0, float lamEnd,
            float* bt, float* ct, int stride, int tb, float* dcAcc, float* lam, float* cdots, bool withY)
        {
            const int pp = HeadP;
            var av = Vector512.Create(a0);
            Vector512<float> s00 = L5(st) * av, s01 = L5(st + 16) * av, s02 = L5(st + 32) * av, s03 = L5(st + 48) * av;
            Vector512<float> s10 = L5(st + pp) * av, s11 = L5(st + pp + 16) * av;
            Vector512<float> s12 = L5(st + pp + 32) * av, s13 = L5(st + pp + 48) * av;
            Vector512<float> s20 = L5(st + 2 * pp) * av, s21 = L5(st + 2 * pp + 16) * av;
            Vector512<float> s22 = L5(st + 2 * pp + 32) * av, s23 = L5(st + 2 * pp + 48) * av;
            Vector512<float> s30 = L5(st + 3 * pp) * av, s31 = L5(st + 3 * pp + 16) * av;
            Vector512<float> s32 = L5(st + 3 * pp + 32) * av, s33 = L5(st + 3 * pp + 48) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, gi = gy + i * pp, bi = bt + i * stride, dci = dcAcc + i * stride;
                Vector512<float> u0 = L5(ui), u1 = L5(ui + 16), u2 = L5(ui + 32), u3 = L5(ui + 48);
                Vector512<float> g0 = L5(gi), g1 = L5(gi + 16), g2 = L5(gi + 32), g3 = L5(gi + 48);
                var bb = Vector512.Create(bi[0]);
                s00 = F5(bb, u0, s00); s01 = F5(bb, u1, s01); s02 = F5(bb, u2, s02); s03 = F5(bb, u3, s03);
                bb = Vector512.Create(bi[1]);
                s10 = F5(bb, u0, s10); s11 = F5(bb, u1, s11); s12 = F5(bb, u2, s12); s13 = F5(bb, u3, s13);
                bb = Vector512.Create(bi[2]);
                s20 = F5(bb, u0, s20); s21 = F5(bb, u1, s21); s22 = F5(bb, u2, s22); s23 = F5(bb, u3, s23);
                bb = Vector512.Create(bi[3]);
                s30 = F5(bb, u0, s30); s31 = F5(bb, u1, s31); s32 = F5(bb, u2, s32); s33 = F5(bb, u3, s33);
                Vector128<float> dc = Sum4(F5(g3, s03, F5(g2, s02, F5(g1, s01, s00 * g0))),
                    F5(g3, s13, F5(g2, s12, F5(g1, s11, s10 * g0))), F5(g3, s23, F5(g2, s22, F5(g1, s21, s20 * g0))),
                    F5(g3, s33, F5(g2, s32, F5(g1, s31, s30 * g0)))) * lam[i];
                float* ci = ct + i * stride;
                Vector128.Store(Vector128.Load(dci) + dc, dci);
                cdots[i] += Vector128.Dot(dc, Vector128.Load(ci));
                if (!withY) continue;
                float* yi = y + i * pp;
                Vector512<float> c0 = Vector512.Create(ci[0]), c1 = Vector512.Create(ci[1]);
                Vector512<float> c2 = Vector512.Create(ci[2]), c3 = Vector512.Create(ci[3]);
                Vector512.Store(F5(s30, c3, F5(s20, c2, F5(s10, c1, F5(s00, c0, L5(yi))))), yi);
                Vector512.Store(F5(s31, c3, F5(s21, c2, F5(s11, c1, F5(s01, c0, L5(yi + 16))))), yi + 16);
                Vector512.Store(F5(s32, c3, F5(s22, c2, F5(s12, c1, F5(s02, c0, L5(yi + 32))))), yi + 32);
                Vector512.Store(F5(s33, c3, F5(s23, c2, F5(s13, c1, F5(s03, c0, L5(yi + 48))))), yi + 48);
            }
            StoreScaled4Wide(st, pp, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
            StoreScaled4Wide(st + 32, pp, lamEnd, s02, s03, s12, s13, s22, s23, s32, s33);
        }

        // SweepReverse for rows = 4 over the whole head, with the dB update done here: the four sums over P of
        // G'_i[n + r] ⊙ u_i are reduced in registers and db[i·stride + r] += Γ_i·sum (no partials in memory).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void SweepReverseHead(float* st, float* u, float* gy, float* du, float anEnd, float gam0,
            float* bt, float* ct, int stride, int tb, float* db, float* lam)
        {
            const int pp = HeadP;
            var av = Vector512.Create(anEnd);
            Vector512<float> d00 = L5(st) * av, d01 = L5(st + 16) * av, d02 = L5(st + 32) * av, d03 = L5(st + 48) * av;
            Vector512<float> d10 = L5(st + pp) * av, d11 = L5(st + pp + 16) * av;
            Vector512<float> d12 = L5(st + pp + 32) * av, d13 = L5(st + pp + 48) * av;
            Vector512<float> d20 = L5(st + 2 * pp) * av, d21 = L5(st + 2 * pp + 16) * av;
            Vector512<float> d22 = L5(st + 2 * pp + 32) * av, d23 = L5(st + 2 * pp + 48) * av;
            Vector512<float> d30 = L5(st + 3 * pp) * av, d31 = L5(st + 3 * pp + 16) * av;
            Vector512<float> d32 = L5(st + 3 * pp + 32) * av, d33 = L5(st + 3 * pp + 48) * av;
            for (int i = tb - 1; i >= 0; i--)
            {
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, dbi = db + i * stride;
                float* bi = bt + i * stride, ci = ct + i * stride;
                Vector512<float> g0 = L5(gi), g1 = L5(gi + 16), g2 = L5(gi + 32), g3 = L5(gi + 48);
                var cc = Vector512.Create(ci[0]);
                d00 = F5(g0, cc, d00); d01 = F5(g1, cc, d01); d02 = F5(g2, cc, d02); d03 = F5(g3, cc, d03);
                cc = Vector512.Create(ci[1]);
                d10 = F5(g0, cc, d10); d11 = F5(g1, cc, d11); d12 = F5(g2, cc, d12); d13 = F5(g3, cc, d13);
                cc = Vector512.Create(ci[2]);
                d20 = F5(g0, cc, d20); d21 = F5(g1, cc, d21); d22 = F5(g2, cc, d22); d23 = F5(g3, cc, d23);
                cc = Vector512.Create(ci[3]);
                d30 = F5(g0, cc, d30); d31 = F5(g1, cc, d31); d32 = F5(g2, cc, d32); d33 = F5(g3, cc, d33);
                Vector512<float> u0 = L5(ui), u1 = L5(ui + 16), u2 = L5(ui + 32), u3 = L5(ui + 48);
                Vector128<float> sums = Sum4(F5(d03, u3, F5(d02, u2, F5(d01, u1, d00 * u0))),
                    F5(d13, u3, F5(d12, u2, F5(d11, u1, d10 * u0))), F5(d23, u3, F5(d22, u2, F5(d21, u1, d20 * u0))),
                    F5(d33, u3, F5(d32, u2, F5(d31, u1, d30 * u0))));
                Vector128.Store(Vector128.FusedMultiplyAdd(sums, Vector128.Create(lam[i]), Vector128.Load(dbi)), dbi);
                Vector512<float> b0 = Vector512.Create(bi[0]), b1 = Vector512.Create(bi[1]);
                Vector512<float> b2 = Vector512.Create(bi[2]), b3 = Vector512.Create(bi[3]);
                Vector512.Store(F5(d30, b3, F5(d20, b2, F5(d10, b1, F5(d00, b0, L5(di))))), di);
                Vector512.Store(F5(d31, b3, F5(d21, b2, F5(d11, b1, F5(d01, b0, L5(di + 16))))), di + 16);
                Vector512.Store(F5(d32, b3, F5(d22, b2, F5(d12, b1, F5(d02, b0, L5(di + 32))))), di + 32);
                Vector512.Store(F5(d33, b3, F5(d23, b2, F5(d13, b1, F5(d03, b0, L5(di + 48))))), di + 48);
            }
            StoreScaled4Wide(st, pp, gam0, d00, d01, d10, d11, d20, d21, d30, d31);
            StoreScaled4Wide(st + 32, pp, gam0, d02, d03, d12, d13, d22, d23, d32, d33);
        }

        /// <summary>[Σ r0, Σ r1, Σ r2, Σ r3] over the 16 lanes of each: pairwise unpacks and shuffles give the four
        /// sums per 128-bit lane, then the four lanes are added.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Sum4(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2,
            Vector512<float> r3)
        {
            Vector512<float> a = Avx512F.UnpackLow(r0, r1) + Avx512F.UnpackHigh(r0, r1);
            Vector512<float> b = Avx512F.UnpackLow(r2, r3) + Avx512F.UnpackHigh(r2, r3);
            Vector512<float> c = Avx512F.Shuffle(a, b, 0x44) + Avx512F.Shuffle(a, b, 0xEE);
            Vector256<float> h = c.GetLower() + c.GetUpper();
            return h.GetLower() + h.GetUpper();
        }
    }
}
