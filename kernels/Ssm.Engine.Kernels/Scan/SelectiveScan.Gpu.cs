// ILGPU selective scan. The forward is tiled (SelectiveScan.Gpu.Tiled.cs). The backward runs one thread per row
// (b, d) walking the L tokens with its N state lanes in device memory.
//   u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
//   h0, last_state: (B, D, N)
// Backward: the forward is recomputed once keeping a checkpoint of the state every K ≈ √L steps, then the
// chunks are visited in reverse, each recomputing its K states from its checkpoint before the reverse-time
// sweep g = gh + gy·C_t, gh ← g·exp(dt·A). Parameter gradients shared between rows (dA, dB, dC, dD,
// d delta_bias) are written as per-row partials and reduced by PartialSums in a fixed order (no atomics).
// Per-thread state arrays (working state, checkpoints, chunk states, gh, running partials) are lane-major, element
// k of row r at base + r + k·(B·D), so neighbouring threads touch neighbouring floats (coalesced on a GPU).
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    /// <summary>ILGPU path; same contract as <see cref="Cpu"/> with a <see cref="GpuDevice"/> first. The host
    /// overloads upload the inputs, run and download (synchronous).</summary>
    public static partial class Gpu
    {
        /// <summary>y = scan(x); writes the final state into <paramref name="lastState"/> when not null.</summary>
        public static void Forward(GpuDevice device, in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, float[] y, float[]? lastState)
        {
            Validate(s, x, y.Length, lastState?.Length ?? -1);
            var input = new HostPack();
            ScanParams p = Inputs(s, o, x, input);
            int rows = s.Batch * s.Dim;
            var output = new HostPack();
            p.Y = output.Reserve(y.Length);
            p.Last = output.Reserve(rows * s.State);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            LaunchForward(device, p, din.View, dout.View);
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.Y, y);
            HostPack.CopyOut(all, p.Last, lastState);
        }

        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dLastState ⊙ last_state (either cotangent may be null = 0).
        /// Deterministic: repeated runs on one device are bit-identical.</summary>
        public static SelectiveScanGrads<float> Backward(GpuDevice device, in SelectiveScanShape s,
            in SelectiveScanOptions o, SelectiveScanInputs<float> x, float[]? dy, float[]? dLastState)
        {
            Validate(s, x, dy?.Length ?? s.Batch * s.Dim * s.Length, dLastState?.Length ?? -1);
            var g = SelectiveScanGrads<float>.ZerosLike(x);
            var input = new HostPack();
            ScanParams p = Inputs(s, o, x, input);
            p.Dy = input.Add(dy);
            p.DLast = input.Add(dLastState);
            int rows = s.Batch * s.Dim, N = s.State, L = s.Length;
            p.Chunk = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(L)));
            p.Chunks = (L + p.Chunk - 1) / p.Chunk;
            var output = new HostPack();
            p.GU = output.Reserve(g.U.Length);
            p.GDelta = output.Reserve(g.Delta.Length);
            p.GZ = output.ReserveIf(g.Z is not null, g.U.Length);
            p.GH0 = output.Reserve(rows * N);
            int gA = output.Reserve(g.A.Length), gB = output.Reserve(g.B.Length), gC = output.Reserve(g.C.Length);
            int gD = output.Reserve(s.Dim), gBias = output.Reserve(s.Dim);
            var scratch = new HostPack();
            p.PA = scratch.Reserve(rows * N);
            p.PB = scratch.Reserve(s.VariableB ? rows * N * L : rows * N);
            p.PC = scratch.Reserve(s.VariableC ? rows * N * L : rows * N);
            p.PD = scratch.Reserve(rows);
            p.PBias = scratch.Reserve(rows);
            p.Ck = scratch.Reserve(rows * p.Chunks * N);
            p.Hs = scratch.Reserve(rows * (p.Chunk + 1) * N);
            p.Work = scratch.Reserve(4 * rows * N);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            using var dscr = device.Allocate(scratch.Length);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ScanParams>(
                BackwardKernel)(device.Stream, rows, din.View, dout.View, dscr.View, p);
            ArrayView<float> sv = dscr.View, ov = dout.View;
            PartialSums.SumBlocks(device, sv, p.PA, ov, gA, g.A.Length, s.Batch);
            PartialSums.SumBlocks(device, sv, p.PD, ov, gD, s.Dim, s.Batch);
            PartialSums.SumBlocks(device, sv, p.PBias, ov, gBias, s.Dim, s.Batch);
            SumBc(device, s, sv, p.PB, ov, gB, s.VariableB, g.B.Length);
            SumBc(device, s, sv, p.PC, ov, gC, s.VariableC, g.C.Length);
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.GU, g.U);
            HostPack.CopyOut(all, p.GDelta, g.Delta);
            HostPack.CopyOut(all, p.GZ, g.Z);
            HostPack.CopyOut(all, p.GH0, g.H0);
            HostPack.CopyOut(all, gA, g.A);
            HostPack.CopyOut(all, gB, g.B);
            HostPack.CopyOut(all, gC, g.C);
            HostPack.CopyOut(all, gD, g.D);
            HostPack.CopyOut(all, gBias, g.DeltaBias);
            return g;
        }

        // Time-invariant: (B·D, N) partials summed over b into (D, N). Variable: (B·D, N, L) partials summed over
        // the D/G channels of each group into (B, G, N, L).
        private static void SumBc(GpuDevice device, in SelectiveScanShape s, ArrayView<float> src, int srcOffset,
            ArrayView<float> dst, int dstOffset, bool variable, int outputs)
        {
            if (!variable)
            {
                PartialSums.SumBlocks(device, src, srcOffset, dst, dstOffset, outputs, s.Batch);
                return;
            }
            int nl = s.State * s.Length, perGroup = s.Dim / s.Groups;
            PartialSums.Sum(device, src, dst, outputs, new SumParams
            {
                Inner = nl, OuterStride = perGroup * nl, Stride = nl, Count = perGroup, SrcOffset = srcOffset,
                DstOffset = dstOffset,
            });
        }

        private static ScanParams Inputs(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, HostPack pack) => new()
        {
            Dim = s.Dim, Length = s.Length, State = s.State, Groups = s.Groups, Rows = s.Batch * s.Dim,
            VarB = s.VariableB ? 1 : 0, VarC = s.VariableC ? 1 : 0,
            Softplus = o.DeltaSoftplus ? 1 : 0, Reverse = o.Reverse ? 1 : 0,
            U = pack.Add(x.U), Delta = pack.Add(x.Delta), A = pack.Add(x.A), B = pack.Add(x.B), C = pack.Add(x.C),
            D = pack.Add(x.D), Z = pack.Add(x.Z), Bias = pack.Add(x.DeltaBias), H0 = pack.Add(x.H0),
            Dy = -1, DLast = -1, GZ = -1,
        };

        /// <summary>Sizes (Rows = B·D), flags, the tiled forward's layout (Lanes, GroupRows, Tile), offsets into the input pack (U … DLast), the output pack
        /// (Y, Last, GU … GH0) and the scratch (PA … Work); −1 marks an absent tensor.</summary>
        internal struct ScanParams
        {
            public int Dim, Length, State, Groups, Rows, VarB, VarC, Softplus, Reverse, Chunk, Chunks, Work;
            public int Lanes, GroupRows, Tile;
            public int U, Delta, A, B, C, D, Z, Bias, H0, Dy, DLast;
            public int Y, Last, GU, GDelta, GZ, GH0;
            public int PA, PB, PC, PD, PBias, Ck, Hs;
        }

        /// <summary>Index of B or C at (row, n, t): (B, G, N, L) when variable, else (D, N).</summary>
        private static int BcIndex(in ScanParams p, int row, int n, int t, int variable)
        {
            int d = row % p.Dim;
            if (variable == 0) return d * p.State + n;
            int grp = row / p.Dim * p.Groups + d / (p.Dim / p.Groups);
            return (grp * p.State + n) * p.Length + t;
        }

        /// <summary>dt = softplus?(delta + delta_bias) at token t of row; <paramref name="raw"/> before
        /// softplus.</summary>
        private static float Dt(ArrayView<float> a, in ScanParams p, int row, int t, out float raw)
        {
            raw = a[p.Delta + row * p.Length + t] + (p.Bias >= 0 ? a[p.Bias + row % p.Dim] : 0f);
            return p.Softplus != 0 ? KernelMath.Softplus(raw) : raw;
        }

        /// <summary>One token of the recurrence: h[n] = exp(dt·A)·h[n] + dt·B·u, from the lane-major state at hIn
        /// to the one at hOut (element n at + n·Rows; may be the same); returns Σ_n h[n]·C.</summary>
        private static float StepState(ArrayView<float> a, in ScanParams p, int row, int t, float dt,
            ArrayView<float> v, int hIn, int hOut)
        {
            int N = p.State, d = row % p.Dim;
            float du = dt * a[p.U + row * p.Length + t], acc = 0f;
            for (int n = 0; n < N; n++)
            {
                float h = MathF.Exp(dt * a[p.A + d * N + n]) * v[hIn + n * p.Rows]
                          + a[p.B + BcIndex(p, row, n, t, p.VarB)] * du;
                v[hOut + n * p.Rows] = h;
                acc += h * a[p.C + BcIndex(p, row, n, t, p.VarC)];
            }
            return acc;
        }

        // a: input pack, o: output pack (direct gradients), w: scratch (partials, checkpoints, chunk states).
        // One thread per row (b, d). Work holds four lane-major arrays: gh (dS/dh, d h0 at the end) and the running
        // dA, dB, dC partials (time-invariant B/C), copied to the row-major partials at the end.
        [GpuKernel]
        internal static void BackwardKernel(Index1D row, ArrayView<float> a, ArrayView<float> o,
            ArrayView<float> w, ScanParams p)
        {
            int N = p.State, L = p.Length, K = p.Chunk, d = row % p.Dim, seq = row * L, R = p.Rows;
            int ck = p.Ck + row, hs = p.Hs + row, gh = p.Work + row, ra = gh + N * R, rb = ra + N * R, rc = rb + N * R;
            for (int n = 0; n < N; n++)
            {
                w[hs + n * R] = p.H0 >= 0 ? a[p.H0 + row * N + n] : 0f;
                w[gh + n * R] = p.DLast >= 0 ? a[p.DLast + row * N + n] : 0f;
            }
            for (int step = 0; step < L; step++)
            {
                if (step % K == 0)
                    for (int n = 0; n < N; n++) w[ck + (step / K * N + n) * R] = w[hs + n * R];
                int t = p.Reverse != 0 ? L - 1 - step : step;
                StepState(a, p, row, t, Dt(a, p, row, t, out _), w, hs, hs);
            }
            float dSkip = p.D >= 0 ? a[p.D + d] : 0f, pD = 0f, pBias = 0f;
            for (int c = p.Chunks - 1; c >= 0; c--)
            {
                int s0 = c * K, s1 = Math.Min(L, s0 + K);
                for (int n = 0; n < N; n++) w[hs + n * R] = w[ck + (c * N + n) * R];
                for (int step = s0; step < s1; step++)
                {
                    int t = p.Reverse != 0 ? L - 1 - step : step;
                    int j = hs + (step - s0) * N * R;
                    StepState(a, p, row, t, Dt(a, p, row, t, out _), w, j, j + N * R);
                }
                for (int step = s1 - 1; step >= s0; step--)
                {
                    int t = p.Reverse != 0 ? L - 1 - step : step;
                    int hPrev = hs + (step - s0) * N * R, hCur = hPrev + N * R;
                    float dt = Dt(a, p, row, t, out float raw), u = a[p.U + seq + t];
                    float gy = p.Dy >= 0 ? a[p.Dy + seq + t] : 0f;
                    if (p.Z >= 0)
                    {
                        float z = a[p.Z + seq + t], yPre = dSkip * u;
                        for (int n = 0; n < N; n++)
                            yPre += w[hCur + n * R] * a[p.C + BcIndex(p, row, n, t, p.VarC)];
                        o[p.GZ + seq + t] = gy * yPre * KernelMath.SiluGrad(z);
                        gy *= KernelMath.Silu(z);
                    }
                    float du = gy * dSkip, ddt = 0f;
                    pD += gy * u;
                    for (int n = 0; n < N; n++)
                    {
                        float cv = a[p.C + BcIndex(p, row, n, t, p.VarC)], bv = a[p.B + BcIndex(p, row, n, t, p.VarB)];
                        float an = a[p.A + d * N + n], e = MathF.Exp(dt * an), hp = w[hPrev + n * R];
                        float gn = w[gh + n * R] + gy * cv, dc = gy * w[hCur + n * R], db = gn * dt * u;
                        if (p.VarC != 0) w[p.PC + (row * N + n) * L + t] = dc;
                        else w[rc + n * R] += dc;
                        if (p.VarB != 0) w[p.PB + (row * N + n) * L + t] = db;
                        else w[rb + n * R] += db;
                        du += gn * dt * bv;
                        ddt += gn * (an * e * hp + bv * u);
                        w[ra + n * R] += gn * dt * e * hp;
                        w[gh + n * R] = gn * e;
                    }
                    o[p.GU + seq + t] = du;
                    float draw = p.Softplus != 0 ? ddt * KernelMath.SoftplusGrad(raw) : ddt;
                    o[p.GDelta + seq + t] = draw;
                    pBias += draw;
                }
            }
            w[p.PD + row] = pD;
            w[p.PBias + row] = pBias;
            for (int n = 0; n < N; n++)
            {
                o[p.GH0 + row * N + n] = w[gh + n * R];
                w[p.PA + row * N + n] = w[ra + n * R];
                if (p.VarB == 0) w[p.PB + row * N + n] = w[rb + n * R];
                if (p.VarC == 0) w[p.PC + row * N + n] = w[rc + n * R];
            }
        }
    }
}
