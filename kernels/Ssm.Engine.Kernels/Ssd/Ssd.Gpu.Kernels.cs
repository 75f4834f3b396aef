// ILGPU kernels of the SSD core recurrence (host side in Ssd.Gpu.cs).
//   x, z, y, gy: (B, L, H, P)   dA, scale: (B, L, H)   B, C: (B, L, G, N)   h0, final: (B, H, P, N)
// The recurrent forward spreads each row's states over a group's lanes (Ssd.Gpu.Lanes.cs). The row backward runs
// one thread per row (b, h, p) with its N state lanes in device memory: it recomputes the forward keeping a
// checkpoint every K ≈ √L tokens, then walks the chunks in reverse, recomputing each chunk's states, and produces
// dx, dz, dh0 and per-(token, p) partials of ddA and d scale.
// dB and dC need sums over p, so a second kernel runs one thread per column (b, h, n) over the P lanes of that
// column: dC_t = Σ_p gy_t[p]·h_t[p, n] in a forward sweep, dB_t = Σ_p dh_t[p, n]·s_t·x_t[p] in a reverse one.
// Every cross-thread sum is a per-thread partial reduced by PartialSums: no atomics, reproducible results.
// Per-thread state arrays (working state, checkpoints, chunk states, dh, columns) are stored lane-major, element
// k of thread r at base + k·Rows (or k·columns), so neighbouring threads touch neighbouring floats (coalesced).
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Gpu
    {
        /// <summary>Sizes (Rows = B·H·P), checkpoint stride, offsets into the input pack (DA … DFinal), the output
        /// pack (Y, Final, GX, GZ, GH0, PD) and the scratch (Work, Gy … Col); −1 marks an absent tensor.</summary>
        internal struct CoreParams
        {
            public int L, H, P, G, N, DPerP, Chunk, Chunks, Rows;
            public int DA, Scale, X, B, C, D, Z, H0, Dy, DFinal;
            public int Y, Final, GX, GZ, GH0, PD;
            public int Work, Gy, PdA, PdS, PdB, PdC, Ck, Hs, Col;
            public int Q, NumChunks, ChunkStates, Prev;   // chunked forward (Ssd.Gpu.Chunked.cs)
            public int Lanes, GroupRows, Tile;            // recurrent forward (Ssd.Gpu.Lanes.cs)
        }

        /// <summary>Offsets of token t for head h of batch b: it into (B, L, H), ibc into (B, L, G, N).</summary>
        private static int Token(in CoreParams p, int b, int h, int t, out int ibc)
        {
            ibc = ((b * p.L + t) * p.G + h / (p.H / p.G)) * p.N;
            return (b * p.L + t) * p.H + h;
        }

        /// <summary>s_t (processed dt), or 1 in the pre-discretised form.</summary>
        private static float Scale(ArrayView<float> a, in CoreParams p, int it) => p.Scale >= 0 ? a[p.Scale + it] : 1f;

        /// <summary>One token of row (it, ix): v[hOut + n·Rows] = exp(dA)·v[hIn + n·Rows] + s·x·B[n]; returns
        /// Σ h·C.</summary>
        private static float Step(ArrayView<float> a, in CoreParams p, int it, int ix, int ibc, ArrayView<float> v,
            int hIn, int hOut)
        {
            float decay = MathF.Exp(a[p.DA + it]), u = Scale(a, p, it) * a[p.X + ix], acc = 0f;
            for (int n = 0; n < p.N; n++)
            {
                float hv = decay * v[hIn + n * p.Rows] + u * a[p.B + ibc + n];
                v[hOut + n * p.Rows] = hv;
                acc += hv * a[p.C + ibc + n];
            }
            return acc;
        }

        // a: input pack, o: output pack, w: scratch; one thread per row r = (b, h, p); dh lives in w at Work
        // (lane-major) and is copied to GH0 at the end.
        [GpuKernel]
        internal static void BackwardRowKernel(Index1D r, ArrayView<float> a, ArrayView<float> o,
            ArrayView<float> w, CoreParams p)
        {
            int N = p.N, L = p.L, K = p.Chunk, b = r / (p.H * p.P), h = r / p.P % p.H, pp = r % p.P, R = p.Rows;
            int ck = p.Ck + r, hs = p.Hs + r, dh = p.Work + r;
            float dv = p.D >= 0 ? a[p.D + (p.DPerP != 0 ? h * p.P + pp : h)] : 0f, pD = 0f;
            for (int n = 0; n < N; n++) w[hs + n * R] = p.H0 >= 0 ? a[p.H0 + r * N + n] : 0f;
            for (int t = 0; t < L; t++)
            {
                if (t % K == 0)
                    for (int n = 0; n < N; n++) w[ck + (t / K * N + n) * R] = w[hs + n * R];
                int it = Token(p, b, h, t, out int ibc);
                Step(a, p, it, it * p.P + pp, ibc, w, hs, hs);
            }
            for (int n = 0; n < N; n++) w[dh + n * R] = p.DFinal >= 0 ? a[p.DFinal + r * N + n] : 0f;
            for (int c = p.Chunks - 1; c >= 0; c--)
            {
                int t0 = c * K, t1 = Math.Min(L, t0 + K);
                for (int n = 0; n < N; n++) w[hs + n * R] = w[ck + (c * N + n) * R];
                for (int t = t0; t < t1; t++)
                {
                    int it = Token(p, b, h, t, out int ibc), j = hs + (t - t0) * N * R;
                    Step(a, p, it, it * p.P + pp, ibc, w, j, j + N * R);
                }
                for (int t = t1 - 1; t >= t0; t--)
                {
                    int it = Token(p, b, h, t, out int ibc), ix = it * p.P + pp;
                    int prev = hs + (t - t0) * N * R, cur = prev + N * R;
                    float decay = MathF.Exp(a[p.DA + it]), sc = Scale(a, p, it), xv = a[p.X + ix];
                    float gp = a[p.Dy + ix];
                    if (p.Z >= 0)
                    {
                        float pre = dv * xv, z = a[p.Z + ix];
                        for (int n = 0; n < N; n++) pre += w[cur + n * R] * a[p.C + ibc + n];
                        o[p.GZ + ix] = gp * pre * KernelMath.SiluGrad(z);
                        gp *= KernelMath.Silu(z);
                    }
                    w[p.Gy + ix] = gp;
                    pD += gp * xv;
                    float du = 0f, da = 0f;
                    for (int n = 0; n < N; n++)
                    {
                        float g = w[dh + n * R] + gp * a[p.C + ibc + n];
                        du += g * a[p.B + ibc + n];
                        da += g * w[prev + n * R];
                        w[dh + n * R] = g * decay;
                    }
                    o[p.GX + ix] = gp * dv + du * sc;
                    w[p.PdA + ix] = da * decay;
                    w[p.PdS + ix] = du * xv;
                }
            }
            o[p.PD + r] = pD;
            for (int n = 0; n < N; n++) o[p.GH0 + r * N + n] = w[dh + n * R];
        }

        // a: input pack, w: scratch (reads Gy, writes the PdB/PdC partials (B, L, H, N)); one thread per column
        // q = (b, h, n) holding the P lanes h[:, n] (then dh[:, n]) in w at Col (lane i at Col + q + i·B·H·N).
        // Runs after BackwardRowKernel.
        [GpuKernel]
        internal static void BackwardColumnKernel(Index1D q, ArrayView<float> a, ArrayView<float> w, CoreParams p)
        {
            int N = p.N, P = p.P, b = q / (p.H * N), h = q / N % p.H, n = q % N, col = p.Col + q;
            int cs = p.Rows / P * N;   // columns B·H·N: the lane stride
            int s0 = (b * p.H + h) * P;
            for (int i = 0; i < P; i++) w[col + i * cs] = p.H0 >= 0 ? a[p.H0 + (s0 + i) * N + n] : 0f;
            for (int t = 0; t < p.L; t++)
            {
                int it = Token(p, b, h, t, out int ibc), ix = it * P;
                float decay = MathF.Exp(a[p.DA + it]), sb = Scale(a, p, it) * a[p.B + ibc + n], acc = 0f;
                for (int i = 0; i < P; i++)
                {
                    float hv = decay * w[col + i * cs] + sb * a[p.X + ix + i];
                    w[col + i * cs] = hv;
                    acc += w[p.Gy + ix + i] * hv;
                }
                w[p.PdC + it * N + n] = acc;
            }
            for (int i = 0; i < P; i++) w[col + i * cs] = p.DFinal >= 0 ? a[p.DFinal + (s0 + i) * N + n] : 0f;
            for (int t = p.L - 1; t >= 0; t--)
            {
                int it = Token(p, b, h, t, out int ibc), ix = it * P;
                float decay = MathF.Exp(a[p.DA + it]), sc = Scale(a, p, it), cn = a[p.C + ibc + n], acc = 0f;
                for (int i = 0; i < P; i++)
                {
                    float g = w[col + i * cs] + w[p.Gy + ix + i] * cn;
                    acc += g * sc * a[p.X + ix + i];
                    w[col + i * cs] = g * decay;
                }
                w[p.PdB + it * N + n] = acc;
            }
        }
    }
}
