// ILGPU forward of the SSD recurrence with each row's N states spread over the lanes of a group.
//   x, z, y: (B, L, H, P)   dA, scale: (B, L, H)   B, C: (B, L, G, N)   h0, final: (B, H, P, N)
// A group holds R rows (b, h, p) × W lanes (W = next power of two ≥ N, at most 32); lane k owns the states
// n = k, k + W, … of its row (the first in a register, the others in shared memory). Per token the W lanes read
// B_t and C_t at neighbouring n (coalesced; rows of one head read the same floats) and x, dA once per row
// (broadcast), and each lane keeps its partial Σ h·C. Every T tokens the group reduces the partials in lane order
// (deterministic) with one thread per (row, token), rows fastest so y (p fastest in memory) is written coalesced.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Gpu
    {
        /// <summary>Shared-memory budget of one forward group in floats (24 KiB).</summary>
        private const int LanesSharedBudget = 6144;

        /// <summary>Enqueues the lane-parallel recurrent forward over input pack <paramref name="a"/> into output
        /// pack <paramref name="o"/> (y at p.Y, final states at p.Final).</summary>
        private static void LanesForward(GpuDevice device, CoreParams p, ArrayView<float> a, ArrayView<float> o)
        {
            var q = p;
            var (lanes, rows, tile, floats) = LaneLayout.Fit("[ssd]", p.N, LaneLayout.GroupSize(device), 32,
                LanesSharedBudget, (w, r, t) => LanesShared(q, w, r, t));
            p.Lanes = lanes;
            p.GroupRows = rows;
            p.Tile = tile;
            var config = new KernelConfig(new Index1D((p.Rows + rows - 1) / rows), new Index1D(rows * lanes),
                SharedMemoryConfig.RequestDynamic<float>(floats));
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, CoreParams>(ForwardLanesKernel)(
                device.Stream, config, a, o, p);
        }

        /// <summary>Shared floats: lane partials R·T·(W+1) and the states beyond the first lane R·N.</summary>
        private static int LanesShared(in CoreParams p, int lanes, int rows, int tile) =>
            rows * tile * (lanes + 1) + rows * p.N;

        // a: input pack, o: output pack. Thread k of group g: row g·R + k / W, lane k % W. Shared memory (floats):
        // partials (r, tt, lane) at (r·T + tt)·(W+1) + lane, then the extra states R·N.
        [GpuKernel]
        internal static void ForwardLanesKernel(ArrayView<float> a, ArrayView<float> o, CoreParams p)
        {
            ArrayView<float> sh = SharedMemory.GetDynamic<float>();
            int W = p.Lanes, R = p.GroupRows, T = p.Tile, N = p.N, gs = Group.DimX, rt = R * T;
            int tid = Group.IdxX, r = tid / W, lane = tid % W, row0 = Grid.IdxX * R, row = row0 + r;
            bool live = row < p.Rows, first = live && lane < N;
            int b = row / (p.H * p.P), h = row / p.P % p.H, pp = row % p.P, sH = rt * (W + 1) + r * N;
            float hv = first && p.H0 >= 0 ? a[p.H0 + row * N + lane] : 0f;
            if (live)
                for (int n = lane + W; n < N; n += W) sh[sH + n] = p.H0 >= 0 ? a[p.H0 + row * N + n] : 0f;
            for (int t0 = 0; t0 < p.L; t0 += T)
            {
                int count = Math.Min(T, p.L - t0);
                if (live)
                    for (int tt = 0; tt < count; tt++)
                    {
                        int it = Token(p, b, h, t0 + tt, out int ibc);
                        float decay = MathF.Exp(a[p.DA + it]), acc = 0f;
                        float u = Scale(a, p, it) * a[p.X + it * p.P + pp];
                        if (first)
                        {
                            hv = decay * hv + u * a[p.B + ibc + lane];
                            acc = hv * a[p.C + ibc + lane];
                        }
                        for (int n = lane + W; n < N; n += W)
                        {
                            float v = decay * sh[sH + n] + u * a[p.B + ibc + n];
                            sh[sH + n] = v;
                            acc += v * a[p.C + ibc + n];
                        }
                        sh[(r * T + tt) * (W + 1) + lane] = acc;
                    }
                Group.Barrier();
                for (int i = tid; i < rt; i += gs)
                {
                    int rr = i % R, tt = i / R, rw = row0 + rr;
                    if (rw >= p.Rows || tt >= count) continue;
                    float y = 0f;
                    for (int k = 0; k < W; k++) y += sh[(rr * T + tt) * (W + 1) + k];
                    int rb = rw / (p.H * p.P), rh = rw / p.P % p.H, rp = rw % p.P;
                    int ix = Token(p, rb, rh, t0 + tt, out _) * p.P + rp;
                    if (p.D >= 0) y += a[p.D + (p.DPerP != 0 ? rh * p.P + rp : rh)] * a[p.X + ix];
                    if (p.Z >= 0) y *= KernelMath.Silu(a[p.Z + ix]);
                    o[p.Y + ix] = y;
                }
                Group.Barrier();
            }
            if (first) o[p.Final + row * N + lane] = hv;
            if (live)
                for (int n = lane + W; n < N; n += W) o[p.Final + row * N + n] = sh[sH + n];
        }
    }
}
