// The backward's forward sweep without z on AVX-512, with the state in the (P, N) layout of the public state
// tensors: a tile is 8 rows p × 32 lanes n (16 registers). The dC partial Σ_p gy[p]·S'[p, n] is then a vertical
// sum over the tile's rows, added into a (tb, N) block buffer once per token and tile, where the (N, P) layout
// needs a 16-lane horizontal reduction per (token, n). Without z the forward sweep computes nothing else per token
// (y is only needed for dz), so the whole sweep can use this layout; the reverse sweep keeps the (N, P) one.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        // Tile of the (P, N) sweep: state rows p × state lanes n.
        private const int PnRows = 8, PnCols = 32;

        /// <summary>Whether the backward's forward sweep runs in the (P, N) layout: no z (nothing but dC to
        /// compute), 512-bit vectors, and N a multiple of the tile width (P is padded to Pp, a multiple of 8).</summary>
        private static bool PnSweeps(Core c) =>
            c.Z is null && Vector512.IsHardwareAccelerated && c.S.N % PnCols == 0 && c.Pp % PnRows == 0;

        /// <summary>One (P, N) tile over a rescaled block: S' = a0·S on entry; per token i: S'[p] += ũ_i[p]·B_i and
        /// dcb[i] += Σ_p gy_i[p]·S'[p]; S = λ_end·S' on exit. <paramref name="st"/>: the tile's first element in the
        /// (Pp, N) state (row stride <paramref name="n"/>); <paramref name="u"/>, <paramref name="gy"/>: the tile's
        /// first p in the token rows (strides <paramref name="pp"/>, <paramref name="gs"/>); <paramref name="bt"/>: B of token 0 at the
        /// tile's first n (token stride <paramref name="stride"/>); <paramref name="dcb"/>: (tb, N) at the first n.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void SweepForwardPn(float* st, int n, float* u, float* gy, int pp, int gs, float a0,
            float lamEnd, float* bt, int stride, int tb, float* dcb)
        {
            var av = Vector512.Create(a0);
            Vector512<float> s00 = L5(st) * av, s01 = L5(st + 16) * av, s10 = L5(st + n) * av;
            Vector512<float> s11 = L5(st + n + 16) * av, s20 = L5(st + 2 * n) * av, s21 = L5(st + 2 * n + 16) * av;
            Vector512<float> s30 = L5(st + 3 * n) * av, s31 = L5(st + 3 * n + 16) * av;
            Vector512<float> s40 = L5(st + 4 * n) * av, s41 = L5(st + 4 * n + 16) * av;
            Vector512<float> s50 = L5(st + 5 * n) * av, s51 = L5(st + 5 * n + 16) * av;
            Vector512<float> s60 = L5(st + 6 * n) * av, s61 = L5(st + 6 * n + 16) * av;
            Vector512<float> s70 = L5(st + 7 * n) * av, s71 = L5(st + 7 * n + 16) * av;
            for (int i = 0; i < tb; i++)
            {
                float* ui = u + i * pp, gi = gy + i * gs, bi = bt + i * stride, di = dcb + i * n;
                Vector512<float> b0 = Vector512.Load(bi), b1 = Vector512.Load(bi + 16);
                // Even and odd rows sum into separate accumulators: two chains of four FMAs instead of one of eight.
                var x = Vector512.Create(ui[0]);
                s00 = F5(x, b0, s00); s01 = F5(x, b1, s01);
                var g = Vector512.Create(gi[0]);
                Vector512<float> e0 = s00 * g, e1 = s01 * g;
                x = Vector512.Create(ui[1]);
                s10 = F5(x, b0, s10); s11 = F5(x, b1, s11);
                g = Vector512.Create(gi[1]);
                Vector512<float> o0 = s10 * g, o1 = s11 * g;
                x = Vector512.Create(ui[2]);
                s20 = F5(x, b0, s20); s21 = F5(x, b1, s21);
                g = Vector512.Create(gi[2]);
                e0 = F5(g, s20, e0); e1 = F5(g, s21, e1);
                x = Vector512.Create(ui[3]);
                s30 = F5(x, b0, s30); s31 = F5(x, b1, s31);
                g = Vector512.Create(gi[3]);
                o0 = F5(g, s30, o0); o1 = F5(g, s31, o1);
                x = Vector512.Create(ui[4]);
                s40 = F5(x, b0, s40); s41 = F5(x, b1, s41);
                g = Vector512.Create(gi[4]);
                e0 = F5(g, s40, e0); e1 = F5(g, s41, e1);
                x = Vector512.Create(ui[5]);
                s50 = F5(x, b0, s50); s51 = F5(x, b1, s51);
                g = Vector512.Create(gi[5]);
                o0 = F5(g, s50, o0); o1 = F5(g, s51, o1);
                x = Vector512.Create(ui[6]);
                s60 = F5(x, b0, s60); s61 = F5(x, b1, s61);
                g = Vector512.Create(gi[6]);
                e0 = F5(g, s60, e0); e1 = F5(g, s61, e1);
                x = Vector512.Create(ui[7]);
                s70 = F5(x, b0, s70); s71 = F5(x, b1, s71);
                g = Vector512.Create(gi[7]);
                o0 = F5(g, s70, o0); o1 = F5(g, s71, o1);
                Vector512.Store(L5(di) + (e0 + o0), di);
                Vector512.Store(L5(di + 16) + (e1 + o1), di + 16);
            }
            StoreScaled4Wide(st, n, lamEnd, s00, s01, s10, s11, s20, s21, s30, s31);
            StoreScaled4Wide(st + 4 * n, n, lamEnd, s40, s41, s50, s51, s60, s61, s70, s71);
        }

        /// <summary>The block's dC: dcAcc[t] += λ_i·dcb[i] over the N lanes of each token, and cdots[i] = C_i·(λ_i·dcb[i])
        /// (the y·gy term of the log-decay gradient).</summary>
        private static unsafe void AddBlockDc(float* dcb, int n, float* lam, float* dci, float* ci, int stride, int tb,
            float* cdots)
        {
            for (int i = 0; i < tb; i++, dci += stride, ci += stride)
            {
                var lv = Vector512.Create(lam[i]);
                Vector512<float> dot = Vector512<float>.Zero;
                float* di = dcb + i * n;
                for (int k = 0; k < n; k += 16)
                {
                    Vector512<float> dc = L5(di + k) * lv;
                    Vector512.Store(Vector512.Load(dci + k) + dc, dci + k);
                    dot = F5(dc, Vector512.Load(ci + k), dot);
                }
                cdots[i] = Vector512.Sum(dot);
            }
        }
    }
}
