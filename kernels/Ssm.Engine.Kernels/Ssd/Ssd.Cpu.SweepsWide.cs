// The backward sweeps' 4-row register tiles on 512-bit registers (AVX-512): 4 state rows n × 2 vectors of 16 P
// lanes (32 P per tile instead of 16). The per-(token, n) partial sums keep the 8-lane layout of the 256-bit tiles
// (`part`, row stride `ps`): each 16-lane product is folded to 8 lanes (lower + upper half) before it is added, so
// ReduceLanes and the dB / dC updates are shared. Same recurrences as Ssd.Cpu.Sweeps.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        /// <summary>Whether the backward sweeps use the 512-bit tiles: AVX-512 present, 8-lane partial sums and P
        /// padded to a multiple of <see cref="WideP"/>.</summary>
        private static bool WideSweeps(Core c) =>
            Vector512.IsHardwareAccelerated && Lanes == 8 && c.Pp % WideP == 0;

        // SweepForward for rows = 4 over 32 P lanes.
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void SweepForwardWide(float* st, int pp, float* u, float* gy, float* y, float a0,
            float lamEnd, float* bt, float* ct, int stride, int tb, float* part, int ps, bool withY)
        {
            var av = Vector512.Create(a0);
            Vector512<float> s00 = L5(st) * av, s01 = L5(st + 16) * av, s10 = L5(st + pp) * av;
            Vector512<float> s11 = L5(st + pp + 16) * av, s20 = L5(st + 2 * pp) * av, s21 = L5(st + 2 * pp + 16) * av;
            Vector512<float> s30 = L5(st + 3 * pp) * av, s31 = L5(st + 3 * pp + 16) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, gi = gy + i * pp, bi = bt + i * stride, pi = part + i * ps;
                Vector512<float> u0 = L5(ui), u1 = L5(ui + 16), g0 = L5(gi), g1 = L5(gi + 16);
                var bb = Vector512.Create(bi[0]);
                s00 = F5(bb, u0, s00);
                s01 = F5(bb, u1, s01);
                AddFolded(pi, F5(g1, s01, s00 * g0));
                bb = Vector512.Create(bi[1]);
                s10 = F5(bb, u0, s10);
                s11 = F5(bb, u1, s11);
                AddFolded(pi + 8, F5(g1, s11, s10 * g0));
                bb = Vector512.Create(bi[2]);
                s20 = F5(bb, u0, s20);
                s21 = F5(bb, u1, s21);
                AddFolded(pi + 16, F5(g1, s21, s20 * g0));
                bb = Vector512.Create(bi[3]);
                s30 = F5(bb, u0, s30);
                s31 = F5(bb, u1, s31);
                AddFolded(pi + 24, F5(g1, s31, s30 * g0));
                if (!withY) continue;
                float* yi = y + i * pp, ci = ct + i * stride;
                Vector512<float> c0 = Vector512.Create(ci[0]), c1 = Vector512.Create(ci[1]);
                Vector512<float> c2 = Vector512.Create(ci[2]), c3 = Vector512.Create(ci[3]);
                Vector512.Store(F5(s30, c3, F5(s20, c2, F5(s10, c1, F5(s00, c0, L5(yi))))), yi);
                Vector512.Store(F5(s31, c3, F5(s21, c2, F5(s11, c1, F5(s01, c0, L5(yi + 16))))), yi + 16);
            }
            StoreScaled4Wide(st, pp, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
        }

        // SweepReverse for rows = 4 over 32 P lanes.
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void SweepReverseWide(float* st, int pp, float* u, float* gy, float* du, float anEnd,
            float gam0, float* bt, float* ct, int stride, int tb, float* part, int ps)
        {
            var av = Vector512.Create(anEnd);
            Vector512<float> d00 = L5(st) * av, d01 = L5(st + 16) * av, d10 = L5(st + pp) * av;
            Vector512<float> d11 = L5(st + pp + 16) * av, d20 = L5(st + 2 * pp) * av, d21 = L5(st + 2 * pp + 16) * av;
            Vector512<float> d30 = L5(st + 3 * pp) * av, d31 = L5(st + 3 * pp + 16) * av;
            for (int i = tb - 1; i >= 0; i--)
            {
                float* ui = u + i * pp, gi = gy + i * pp, di = du + i * pp, pi = part + i * ps;
                float* bi = bt + i * stride, ci = ct + i * stride;
                Vector512<float> g0 = L5(gi), g1 = L5(gi + 16);
                var cc = Vector512.Create(ci[0]);
                d00 = F5(g0, cc, d00);
                d01 = F5(g1, cc, d01);
                cc = Vector512.Create(ci[1]);
                d10 = F5(g0, cc, d10);
                d11 = F5(g1, cc, d11);
                cc = Vector512.Create(ci[2]);
                d20 = F5(g0, cc, d20);
                d21 = F5(g1, cc, d21);
                cc = Vector512.Create(ci[3]);
                d30 = F5(g0, cc, d30);
                d31 = F5(g1, cc, d31);
                Vector512<float> u0 = L5(ui), u1 = L5(ui + 16);
                AddFolded(pi, F5(d01, u1, d00 * u0));
                AddFolded(pi + 8, F5(d11, u1, d10 * u0));
                AddFolded(pi + 16, F5(d21, u1, d20 * u0));
                AddFolded(pi + 24, F5(d31, u1, d30 * u0));
                Vector512<float> b0 = Vector512.Create(bi[0]), b1 = Vector512.Create(bi[1]);
                Vector512<float> b2 = Vector512.Create(bi[2]), b3 = Vector512.Create(bi[3]);
                Vector512.Store(F5(d30, b3, F5(d20, b2, F5(d10, b1, F5(d00, b0, L5(di))))), di);
                Vector512.Store(F5(d31, b3, F5(d21, b2, F5(d11, b1, F5(d01, b0, L5(di + 16))))), di + 16);
            }
            StoreScaled4Wide(st, pp, gam0, d00, d01, d10, d11, d20, d21, d30, d31);
        }

        // part[0..8) += lower(v) + upper(v).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void AddFolded(float* part, Vector512<float> v) =>
            Vector256.Store(Vector256.Load(part) + (v.GetLower() + v.GetUpper()), part);

        // Writes a 4-row wide register tile back to the state, scaled by `scale`.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreScaled4Wide(float* st, int pp, float scale, Vector512<float> r00,
            Vector512<float> r01, Vector512<float> r10, Vector512<float> r11, Vector512<float> r20,
            Vector512<float> r21, Vector512<float> r30, Vector512<float> r31)
        {
            var k = Vector512.Create(scale);
            Vector512.Store(r00 * k, st); Vector512.Store(r01 * k, st + 16);
            Vector512.Store(r10 * k, st + pp); Vector512.Store(r11 * k, st + pp + 16);
            Vector512.Store(r20 * k, st + 2 * pp); Vector512.Store(r21 * k, st + 2 * pp + 16);
            Vector512.Store(r30 * k, st + 3 * pp); Vector512.Store(r31 * k, st + 3 * pp + 16);
        }
    }
}
