// Tiled ILGPU forward of the selective scan: the state is spread over the threads of a group instead of being
// walked by one thread per row.
//   u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
//   h0, last_state: (B, D, N)
// A group holds R rows (b, d) × W lanes (W = next power of two ≥ N, at most 32 and at most the group size); lane k
// owns the states n = k, k + W, k + 2W, … of its row (the first in a register, the others in shared memory).
// The L tokens are visited in tiles of T: the group stages u, dt = softplus?(delta + bias) (once per token, not once
// per state) and the variable B/C of its rows for the tile in shared memory with neighbouring threads reading
// neighbouring tokens (coalesced), each lane then runs the T recurrence steps of its states writing its partial
// Σ h·C per token, and finally one thread per (row, token) sums the W partials in lane order (deterministic),
// adds D·u, gates by silu(z) and writes y (coalesced). Three barriers per tile, none per token.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Gpu
    {
        /// <summary>Largest tile length (tokens per staging round).</summary>
        internal const int MaxTile = 32;

        /// <summary>Launch shape of the tiled kernels: W lanes per row, R rows per group, T tokens per tile, the
        /// dynamic shared memory in floats, and whether the group's rows all read the same variable B/C (then the
        /// forward stages one copy instead of R).</summary>
        internal readonly record struct TileLayout(int Lanes, int Rows, int Tile, int SharedFloats,
            bool BcShared = false);

        /// <summary>Lanes, rows per group and tile length for <paramref name="p"/> on a device whose groups hold
        /// at most <paramref name="groupSize"/> threads (a power of two).</summary>
        internal static TileLayout Layout(in ScanParams p, int groupSize)
        {
            var q = p;
            var l = LaneLayout.Fit(Op, p.State, groupSize, MaxTile, LaneLayout.DefaultBudget,
                (lanes, rows, tile) => SharedFloats(q, lanes, rows, tile));
            return new TileLayout(l.Lanes, l.Rows, l.Tile, l.SharedFloats, SharesBc(p, l.Rows));
        }

        /// <summary>True when every group of <paramref name="rows"/> consecutive rows lies in one batch and one B/C
        /// group, i.e. R divides D/G (always for G = 1 and D a multiple of R).</summary>
        private static bool SharesBc(in ScanParams p, int rows) => p.Dim / p.Groups % rows == 0;

        /// <summary>Shared floats: u and dt (R·T each), partials R·T·(W+1), variable B and C T·(N+1) each when the
        /// rows share them (else R·T·(N+1)), and the states beyond the first lane R·N. Pitches W+1 and N+1 keep the
        /// strided accesses off one bank.</summary>
        private static int SharedFloats(in ScanParams p, int lanes, int rows, int tile)
        {
            int rt = rows * tile, bc = SharesBc(p, rows) ? tile : rt;
            return rt * (2 + lanes + 1) + (p.VarB + p.VarC) * bc * (p.State + 1) + rows * p.State;
        }

        /// <summary>Enqueues the tiled forward over input pack <paramref name="a"/> into output pack
        /// <paramref name="o"/> (y at p.Y, final state at p.Last).</summary>
        private static void LaunchForward(GpuDevice device, ScanParams p, ArrayView<float> a, ArrayView<float> o)
        {
            TileLayout t = Layout(p, LaneLayout.GroupSize(device));
            p.Lanes = t.Lanes;
            p.GroupRows = t.Rows;
            p.Tile = t.Tile;
            p.BcShared = t.BcShared ? 1 : 0;
            int groups = (p.Rows + t.Rows - 1) / t.Rows;
            var config = new KernelConfig(new Index1D(groups), new Index1D(t.Rows * t.Lanes),
                SharedMemoryConfig.RequestDynamic<float>(t.SharedFloats));
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, ScanParams>(ForwardTiledKernel)(
                device.Stream, config, a, o, p);
        }

        /// <summary>Time index of processing step <paramref name="step"/>.</summary>
        private static int TimeOf(in ScanParams p, int step) => p.Reverse != 0 ? p.Length - 1 - step : step;

        /// <summary>Stages the variable B or C (at <paramref name="src"/> in the input pack) of the group's rows for
        /// steps s0 … s0+count−1 into shared memory at <paramref name="dst"/>: element (r, tt, n) at
        /// (r·T + tt)·(N+1) + n, loaded with tt fastest so neighbouring threads read neighbouring tokens. With
        /// p.BcShared only row r = 0 is staged (the group's rows read the same B/C).</summary>
        private static void StageBc(ArrayView<float> a, ArrayView<float> sh, in ScanParams p, int src, int dst,
            int row0, int s0, int count)
        {
            int N = p.State, T = p.Tile, step = Group.DimX;
            int total = (p.BcShared != 0 ? 1 : p.GroupRows) * N * T;
            for (int i = Group.IdxX; i < total; i += step)
            {
                int tt = i % T, n = i / T % N, r = i / (T * N), row = row0 + r;
                float v = 0f;
                if (row < p.Rows && tt < count) v = a[src + BcIndex(p, row, n, TimeOf(p, s0 + tt), 1)];
                sh[dst + (r * T + tt) * (N + 1) + n] = v;
            }
        }

        // a: input pack, o: output pack. Explicitly grouped: group g covers rows g·R … g·R+R−1; thread k is row k / W,
        // lane k % W. Shared memory (floats): [u | dt] R·T each, partials R·T·(W+1), [B], [C] R·T·(N+1) when
        // variable, states R·N.
        [GpuKernel]
        internal static void ForwardTiledKernel(ArrayView<float> a, ArrayView<float> o, ScanParams p)
        {
            ArrayView<float> sh = SharedMemory.GetDynamic<float>();
            int W = p.Lanes, R = p.GroupRows, T = p.Tile, N = p.State, L = p.Length, gs = Group.DimX;
            int tid = Group.IdxX, r = tid / W, lane = tid % W, row0 = Grid.IdxX * R, row = row0 + r;
            bool live = row < p.Rows;
            int d = live ? row % p.Dim : 0, rt = R * T, bcRows = p.BcShared != 0 ? 0 : r;
            int bcLen = (p.BcShared != 0 ? T : rt) * (N + 1);
            int sDt = rt, sP = 2 * rt, sB = sP + rt * (W + 1), sC = sB + p.VarB * bcLen;
            int sH = sC + p.VarC * bcLen + r * N;
            bool first = live && lane < N;
            float h = 0f, a0 = 0f, b0 = 0f, c0 = 0f;
            if (first)
            {
                h = p.H0 >= 0 ? a[p.H0 + row * N + lane] : 0f;
                a0 = a[p.A + d * N + lane];
                if (p.VarB == 0) b0 = a[p.B + d * N + lane];
                if (p.VarC == 0) c0 = a[p.C + d * N + lane];
            }
            if (live)
                for (int n = lane + W; n < N; n += W) sh[sH + n] = p.H0 >= 0 ? a[p.H0 + row * N + n] : 0f;
            for (int s0 = 0; s0 < L; s0 += T)
            {
                int count = Math.Min(T, L - s0);
                for (int i = tid; i < rt; i += gs)
                {
                    int rr = i / T, tt = i % T, rw = row0 + rr;
                    float uv = 0f, dtv = 0f;
                    if (rw < p.Rows && tt < count)
                    {
                        int t = TimeOf(p, s0 + tt);
                        uv = a[p.U + rw * L + t];
                        dtv = Dt(a, p, rw, t, out _);
                    }
                    sh[i] = uv;
                    sh[sDt + i] = dtv;
                }
                if (p.VarB != 0) StageBc(a, sh, p, p.B, sB, row0, s0, count);
                if (p.VarC != 0) StageBc(a, sh, p, p.C, sC, row0, s0, count);
                Group.Barrier();
                if (live)
                    for (int tt = 0; tt < count; tt++)
                    {
                        int k = r * T + tt, bc = (bcRows * T + tt) * (N + 1);
                        float dt = sh[sDt + k], du = dt * sh[k], acc = 0f;
                        if (first)
                        {
                            float bv = p.VarB != 0 ? sh[sB + bc + lane] : b0;
                            float cv = p.VarC != 0 ? sh[sC + bc + lane] : c0;
                            h = MathF.Exp(dt * a0) * h + bv * du;
                            acc = h * cv;
                        }
                        for (int n = lane + W; n < N; n += W)
                        {
                            float bv = p.VarB != 0 ? sh[sB + bc + n] : a[p.B + d * N + n];
                            float cv = p.VarC != 0 ? sh[sC + bc + n] : a[p.C + d * N + n];
                            float hn = MathF.Exp(dt * a[p.A + d * N + n]) * sh[sH + n] + bv * du;
                            sh[sH + n] = hn;
                            acc += hn * cv;
                        }
                        sh[sP + k * (W + 1) + lane] = acc;
                    }
                Group.Barrier();
                for (int i = tid; i < rt; i += gs)
                {
                    int rr = i / T, tt = i % T, rw = row0 + rr;
                    if (rw >= p.Rows || tt >= count) continue;
                    float y = 0f;
                    for (int k = 0; k < W; k++) y += sh[sP + i * (W + 1) + k];
                    int t = TimeOf(p, s0 + tt), seq = rw * L + t;
                    if (p.D >= 0) y += a[p.D + rw % p.Dim] * sh[i];
                    if (p.Z >= 0) y *= KernelMath.Silu(a[p.Z + seq]);
                    o[p.Y + seq] = y;
                }
                Group.Barrier();
            }
            if (first) o[p.Last + row * N + lane] = h;
            if (live)
                for (int n = lane + W; n < N; n += W) o[p.Last + row * N + n] = sh[sH + n];
        }
    }
}
