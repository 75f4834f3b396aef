// Tiled ILGPU backward of the selective scan, on the forward's group layout (R rows × W lanes, lane k owning states
// n = k, k + W, …; see SelectiveScan.Gpu.Tiled.cs).
//   u, delta, z, dy, du, d delta, dz: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   h0: (B, D, N)
// Pass 1 runs the forward tile by tile and stores the state at the start of every tile (checkpoints, (B·D, L/T, N),
// written by neighbouring lanes to neighbouring floats). Pass 2 visits the tiles in reverse: it stages u, dt,
// softplus'(raw), dy and the variable B/C of the tile, recomputes the T + 1 states of the tile from its checkpoint
// into shared memory, reduces y_pre = Σ h·C + D·u across the lanes when there is a gate (dz and the gated dy), then
// each lane runs the reverse-time sweep g = gh + gy·C, gh ← g·exp(dt·A) over its states, writing its share of du and
// d dt per token (reduced across lanes in lane order afterwards) and the variable dB/dC in place of B/C in shared
// memory, flushed to the per-row partials with neighbouring threads on neighbouring tokens. dA and the time-invariant
// dB/dC accumulate per lane; dD and d delta_bias per (row, token slot) and then per row in slot order. Everything
// shared between rows is still reduced by PartialSums in a fixed order: the result is bit-reproducible.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Gpu
    {
        /// <summary>Lanes, rows per group and tile length of the backward for <paramref name="p"/>.</summary>
        internal static TileLayout BackwardLayout(in ScanParams p, int groupSize)
        {
            var q = p;
            var l = LaneLayout.Fit(Op, p.State, groupSize, MaxTile, LaneLayout.DefaultBudget,
                (lanes, rows, tile) => BackwardShared(q, lanes, rows, tile));
            return new TileLayout(l.Lanes, l.Rows, l.Tile, l.SharedFloats);
        }

        /// <summary>Shared floats of the backward: six per (row, token) arrays (u, dt, softplus', gy, dD and
        /// d delta_bias slots), two lane-partial arrays R·T·(W+1), variable B and C R·T·(N+1), the tile's states
        /// R·(T+1)·N and four per-state running arrays R·N (gh, dA, time-invariant dB and dC).</summary>
        private static int BackwardShared(in ScanParams p, int lanes, int rows, int tile)
        {
            int rt = rows * tile;
            return rt * (6 + 2 * (lanes + 1) + (p.VarB + p.VarC) * (p.State + 1))
                   + rows * (tile + 1) * p.State + 4 * rows * p.State;
        }

        /// <summary>Enqueues the tiled backward; <paramref name="p"/> holds every offset but the layout and Ck, which
        /// must have room for (B·D)·⌈L/T⌉·N floats as returned by <see cref="BackwardCheckpoints"/>.</summary>
        private static void LaunchBackward(GpuDevice device, ScanParams p, TileLayout t, ArrayView<float> a,
            ArrayView<float> o, ArrayView<float> w)
        {
            p.Lanes = t.Lanes;
            p.GroupRows = t.Rows;
            p.Tile = t.Tile;
            int groups = (p.Rows + t.Rows - 1) / t.Rows;
            var config = new KernelConfig(new Index1D(groups), new Index1D(t.Rows * t.Lanes),
                SharedMemoryConfig.RequestDynamic<float>(t.SharedFloats));
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ScanParams>(
                BackwardTiledKernel)(device.Stream, config, a, o, w, p);
        }

        /// <summary>Offsets of the tiled backward's gradients (A, B, C, D, delta_bias) and of its per-row partial
        /// sums and checkpoints: reserves them in <paramref name="output"/> and <paramref name="scratch"/>, sets the
        /// corresponding fields of <paramref name="p"/> (dU, dDelta, dZ when <paramref name="hasZ"/>, dH0, partials,
        /// checkpoints), and returns the offsets of the reduced gradients.</summary>
        private static (int A, int B, int C, int D, int Bias) ReserveBackward(ref ScanParams p, in SelectiveScanShape s,
            TileLayout layout, bool hasZ, HostPack output, HostPack scratch)
        {
            int rows = s.Batch * s.Dim, N = s.State, L = s.Length, bdl = checked(rows * L);
            p.GU = output.Reserve(bdl);
            p.GDelta = output.Reserve(bdl);
            p.GZ = output.ReserveIf(hasZ, bdl);
            p.GH0 = output.Reserve(rows * N);
            int gA = output.Reserve(s.Dim * N), gB = output.Reserve((int)s.BLength), gC = output.Reserve((int)s.CLength);
            int gD = output.Reserve(s.Dim), gBias = output.Reserve(s.Dim);
            p.PA = scratch.Reserve(rows * N);
            p.PB = scratch.Reserve(s.VariableB ? rows * N * L : rows * N);
            p.PC = scratch.Reserve(s.VariableC ? rows * N * L : rows * N);
            p.PD = scratch.Reserve(rows);
            p.PBias = scratch.Reserve(rows);
            p.Ck = scratch.Reserve(BackwardCheckpoints(p, layout));
            return (gA, gB, gC, gD, gBias);
        }

        /// <summary>Floats of checkpoint storage the backward needs.</summary>
        private static int BackwardCheckpoints(in ScanParams p, TileLayout t) =>
            checked(p.Rows * ((p.Length + t.Tile - 1) / t.Tile) * p.State);

        /// <summary>Writes the variable dB or dC of the tile (in shared memory at <paramref name="src"/>, laid out as
        /// in <see cref="StageBc"/>) to the per-row partials at <paramref name="dst"/> of <paramref name="w"/>:
        /// (B·D, N, L), tokens fastest.</summary>
        private static void FlushBc(ArrayView<float> w, ArrayView<float> sh, in ScanParams p, int dst, int src,
            int row0, int s0, int count)
        {
            int N = p.State, T = p.Tile, total = p.GroupRows * N * T, step = Group.DimX;
            for (int i = Group.IdxX; i < total; i += step)
            {
                int tt = i % T, n = i / T % N, r = i / (T * N), row = row0 + r;
                if (row < p.Rows && tt < count)
                    w[dst + (row * N + n) * p.Length + TimeOf(p, s0 + tt)] = sh[src + (r * T + tt) * (N + 1) + n];
            }
        }

        // a: input pack, o: output pack (direct gradients), w: scratch (partials, checkpoints at Ck).
        // Shared memory (floats), rt = R·T: u, dt, softplus', gy, dD slots, d delta_bias slots (rt each); partials P
        // and Q (rt·(W+1)); [B], [C] (rt·(N+1)); states R·(T+1)·N; gh, dA, dB, dC running (R·N each).
        [GpuKernel]
        internal static void BackwardTiledKernel(ArrayView<float> a, ArrayView<float> o, ArrayView<float> w,
            ScanParams p)
        {
            ArrayView<float> sh = SharedMemory.GetDynamic<float>();
            int W = p.Lanes, R = p.GroupRows, T = p.Tile, N = p.State, L = p.Length, gs = Group.DimX;
            int tid = Group.IdxX, r = tid / W, lane = tid % W, row0 = Grid.IdxX * R, row = row0 + r;
            bool live = row < p.Rows;
            int d = live ? row % p.Dim : 0, rt = R * T, tiles = (L + T - 1) / T;
            int sDt = rt, sSg = 2 * rt, sGy = 3 * rt, sAD = 4 * rt, sAB = 5 * rt, sP = 6 * rt, sQ = sP + rt * (W + 1);
            int sB = sQ + rt * (W + 1), sC = sB + p.VarB * rt * (N + 1), sHs = sC + p.VarC * rt * (N + 1);
            int sX = sHs + R * (T + 1) * N, hs = sHs + r * (T + 1) * N, gh = sX + r * N;
            int ra = gh + R * N, rb = ra + R * N, rc = rb + R * N, ck = p.Ck + row * tiles * N;
            for (int i = tid; i < rt; i += gs)
            {
                sh[sAD + i] = 0f;
                sh[sAB + i] = 0f;
            }
            if (live)
                for (int n = lane; n < N; n += W)
                {
                    sh[hs + n] = p.H0 >= 0 ? a[p.H0 + row * N + n] : 0f;
                    sh[gh + n] = p.DLast >= 0 ? a[p.DLast + row * N + n] : 0f;
                    sh[ra + n] = 0f;
                    sh[rb + n] = 0f;
                    sh[rc + n] = 0f;
                }
            // Pass 1: checkpoints (the state lives in slot 0 of the row's tile states).
            for (int c = 0; c < tiles; c++)
            {
                int s0 = c * T, count = Math.Min(T, L - s0);
                StageTokens(a, sh, p, row0, s0, count);
                if (p.VarB != 0) StageBc(a, sh, p, p.B, sB, row0, s0, count);
                Group.Barrier();
                if (live)
                    for (int n = lane; n < N; n += W)
                    {
                        float h = sh[hs + n], an = a[p.A + d * N + n];
                        w[ck + c * N + n] = h;
                        for (int tt = 0; tt < count; tt++)
                        {
                            int k = r * T + tt;
                            float dt = sh[sDt + k];
                            float bv = p.VarB != 0 ? sh[sB + k * (N + 1) + n] : a[p.B + d * N + n];
                            h = MathF.Exp(dt * an) * h + bv * dt * sh[k];
                        }
                        sh[hs + n] = h;
                    }
                Group.Barrier();
            }
            // Pass 2: tiles in reverse.
            for (int c = tiles - 1; c >= 0; c--)
            {
                int s0 = c * T, count = Math.Min(T, L - s0);
                StageTokens(a, sh, p, row0, s0, count);
                if (p.VarB != 0) StageBc(a, sh, p, p.B, sB, row0, s0, count);
                if (p.VarC != 0) StageBc(a, sh, p, p.C, sC, row0, s0, count);
                Group.Barrier();
                if (live)
                    for (int n = lane; n < N; n += W)
                    {
                        float h = w[ck + c * N + n], an = a[p.A + d * N + n];
                        sh[hs + n] = h;
                        for (int tt = 0; tt < count; tt++)
                        {
                            int k = r * T + tt;
                            float dt = sh[sDt + k];
                            float bv = p.VarB != 0 ? sh[sB + k * (N + 1) + n] : a[p.B + d * N + n];
                            h = MathF.Exp(dt * an) * h + bv * dt * sh[k];
                            sh[hs + (tt + 1) * N + n] = h;
                        }
                    }
                if (p.Z >= 0)
                {
                    if (live)
                        for (int tt = 0; tt < count; tt++)
                        {
                            int k = r * T + tt;
                            float acc = 0f;
                            for (int n = lane; n < N; n += W)
                                acc += sh[hs + (tt + 1) * N + n] * (p.VarC != 0 ? sh[sC + k * (N + 1) + n]
                                    : a[p.C + d * N + n]);
                            sh[sP + k * (W + 1) + lane] = acc;
                        }
                    Group.Barrier();
                    for (int i = tid; i < rt; i += gs)
                    {
                        int rw = row0 + i / T, tt = i % T;
                        if (rw >= p.Rows || tt >= count) continue;
                        float yPre = 0f;
                        for (int k = 0; k < W; k++) yPre += sh[sP + i * (W + 1) + k];
                        int seq = rw * L + TimeOf(p, s0 + tt);
                        yPre += (p.D >= 0 ? a[p.D + rw % p.Dim] : 0f) * sh[i];
                        float z = a[p.Z + seq], gy = sh[sGy + i];
                        o[p.GZ + seq] = gy * yPre * KernelMath.SiluGrad(z);
                        sh[sGy + i] = gy * KernelMath.Silu(z);
                    }
                }
                Group.Barrier();
                if (live)
                    for (int tt = count - 1; tt >= 0; tt--)
                    {
                        int k = r * T + tt, bc = k * (N + 1);
                        float gy = sh[sGy + k], dt = sh[sDt + k], u = sh[k], du = 0f, ddt = 0f;
                        for (int n = lane; n < N; n += W)
                        {
                            float cv = p.VarC != 0 ? sh[sC + bc + n] : a[p.C + d * N + n];
                            float bv = p.VarB != 0 ? sh[sB + bc + n] : a[p.B + d * N + n];
                            float an = a[p.A + d * N + n], e = MathF.Exp(dt * an);
                            float hp = sh[hs + tt * N + n], gn = sh[gh + n] + gy * cv;
                            float dc = gy * sh[hs + (tt + 1) * N + n], db = gn * dt * u;
                            if (p.VarC != 0) sh[sC + bc + n] = dc;
                            else sh[rc + n] += dc;
                            if (p.VarB != 0) sh[sB + bc + n] = db;
                            else sh[rb + n] += db;
                            du += gn * dt * bv;
                            ddt += gn * (an * e * hp + bv * u);
                            sh[ra + n] += gn * dt * e * hp;
                            sh[gh + n] = gn * e;
                        }
                        sh[sP + k * (W + 1) + lane] = du;
                        sh[sQ + k * (W + 1) + lane] = ddt;
                    }
                Group.Barrier();
                for (int i = tid; i < rt; i += gs)
                {
                    int rw = row0 + i / T, tt = i % T;
                    if (rw >= p.Rows || tt >= count) continue;
                    float gy = sh[sGy + i], du = gy * (p.D >= 0 ? a[p.D + rw % p.Dim] : 0f), ddt = 0f;
                    for (int k = 0; k < W; k++)
                    {
                        du += sh[sP + i * (W + 1) + k];
                        ddt += sh[sQ + i * (W + 1) + k];
                    }
                    int seq = rw * L + TimeOf(p, s0 + tt);
                    float draw = ddt * sh[sSg + i];
                    o[p.GU + seq] = du;
                    o[p.GDelta + seq] = draw;
                    sh[sAD + i] += gy * sh[i];
                    sh[sAB + i] += draw;
                }
                if (p.VarB != 0) FlushBc(w, sh, p, p.PB, sB, row0, s0, count);
                if (p.VarC != 0) FlushBc(w, sh, p, p.PC, sC, row0, s0, count);
                Group.Barrier();
            }
            if (!live) return;
            for (int n = lane; n < N; n += W)
            {
                o[p.GH0 + row * N + n] = sh[gh + n];
                w[p.PA + row * N + n] = sh[ra + n];
                if (p.VarB == 0) w[p.PB + row * N + n] = sh[rb + n];
                if (p.VarC == 0) w[p.PC + row * N + n] = sh[rc + n];
            }
            if (lane != 0) return;
            float pD = 0f, pBias = 0f;
            for (int tt = 0; tt < T; tt++)
            {
                pD += sh[sAD + r * T + tt];
                pBias += sh[sAB + r * T + tt];
            }
            w[p.PD + row] = pD;
            w[p.PBias + row] = pBias;
        }

        /// <summary>Stages u, dt, softplus'(raw) (1 without softplus) and dy (0 when absent) of the group's rows for
        /// steps s0 … s0+count−1 at shared offsets 0, R·T, 2·R·T, 3·R·T; (r, tt) at r·T + tt, tt fastest.</summary>
        private static void StageTokens(ArrayView<float> a, ArrayView<float> sh, in ScanParams p, int row0, int s0,
            int count)
        {
            int T = p.Tile, rt = p.GroupRows * T;
            for (int i = Group.IdxX; i < rt; i += Group.DimX)
            {
                int tt = i % T, rw = row0 + i / T;
                float uv = 0f, dtv = 0f, sg = 0f, gy = 0f;
                if (rw < p.Rows && tt < count)
                {
                    int t = TimeOf(p, s0 + tt), seq = rw * p.Length + t;
                    uv = a[p.U + seq];
                    dtv = Dt(a, p, rw, t, out float raw);
                    sg = p.Softplus != 0 ? KernelMath.SoftplusGrad(raw) : 1f;
                    gy = p.Dy >= 0 ? a[p.Dy + seq] : 0f;
                }
                sh[i] = uv;
                sh[rt + i] = dtv;
                sh[2 * rt + i] = sg;
                sh[3 * rt + i] = gy;
            }
        }
    }
}
