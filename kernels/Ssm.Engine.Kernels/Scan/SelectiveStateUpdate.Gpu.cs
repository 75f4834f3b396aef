// ILGPU decode step, forward and backward: a group of R rows (b, h, p) × W lanes (W = next power of two ≥ N, at most
// 32), lane k handling states n = k, k + W, … of its row, so a warp reads and writes whole runs of the state
// (coalesced) and a row's N products are spread over W threads. Per-row sums over n (y, y_pre, dx, d dt) go through
// shared memory and are added by the row's lane 0 in lane order.
//   state, new_state: (B, H, P, N)   x, dt, z, y: (B, H, P)   A: (H, P, N)   B, C: (B, G, N)   D, dt_bias: (H, P)
// The Mamba-1 form is H = 1, P = D (same memory). The backward writes per-row partials of dA, dB, dC, dD and
// d dt_bias and reduces them with PartialSums in a fixed order (no atomics: repeated runs are bit-identical).
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveStateUpdate
{
    /// <summary>ILGPU path; same contract as <see cref="Cpu"/> with a <see cref="GpuDevice"/> first. The host
    /// overloads upload the inputs, run and download (synchronous).</summary>
    public static partial class Gpu
    {
        /// <summary>One step: y and the new state (<paramref name="newState"/> may alias the input state).</summary>
        public static void Step(GpuDevice device, in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateInputs<float> x, float[] y, float[] newState)
        {
            Validate(s, x, y.Length, newState.Length);
            var input = new HostPack();
            var p = Inputs(s, o, x, input);
            var output = new HostPack();
            p.Y = output.Reserve(y.Length);
            p.NewState = output.Reserve(newState.Length);
            using var din = input.Upload(device);
            using var dout = device.Allocate(Math.Max(1, output.Length));
            Launch(device, StepKernel, p, Rows(s), din.View, dout.View);
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.Y, y);
            HostPack.CopyOut(all, p.NewState, newState);
        }

        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dNewState ⊙ new_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveStateUpdateGrads<float> Backward(GpuDevice device, in SelectiveStateUpdateShape s,
            in SelectiveStateUpdateOptions o, SelectiveStateUpdateInputs<float> x, float[]? dy, float[]? dNewState)
        {
            Validate(s, x, dy?.Length ?? -1, dNewState?.Length ?? -1);
            var g = SelectiveStateUpdateGrads<float>.ZerosLike(x);
            var input = new HostPack();
            var p = Inputs(s, o, x, input);
            p.Dy = input.Add(dy);
            p.DNew = input.Add(dNewState);
            int rows = Rows(s), N = s.State, hp = s.Heads * s.HeadDim;
            var output = new HostPack();
            p.GState = output.Reserve(g.State.Length);
            p.GX = output.Reserve(g.X.Length);
            p.GDt = output.Reserve(g.Dt.Length);
            p.GZ = output.ReserveIf(g.Z is not null, rows);
            p.PA = output.Reserve(rows * N);
            p.PB = output.Reserve(rows * N);
            p.PC = output.Reserve(rows * N);
            p.PD = output.Reserve(rows);
            p.PBias = output.Reserve(rows);
            int gA = output.Reserve(g.A.Length), gB = output.Reserve(g.B.Length), gC = output.Reserve(g.C.Length);
            int gD = output.Reserve(hp), gBias = output.Reserve(hp);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            Launch(device, BackwardKernel, p, rows, din.View, dout.View);
            ArrayView<float> v = dout.View;
            PartialSums.SumBlocks(device, v, p.PA, v, gA, g.A.Length, s.Batch);
            PartialSums.SumBlocks(device, v, p.PD, v, gD, hp, s.Batch);
            PartialSums.SumBlocks(device, v, p.PBias, v, gBias, hp, s.Batch);
            // B, C: (B, G, N); the rows of group (b, g) are the HG·P consecutive rows of its heads.
            int perGroup = s.Heads / s.Groups * s.HeadDim;
            var bc = new SumParams { Inner = N, OuterStride = perGroup * N, Stride = N, Count = perGroup };
            PartialSums.Sum(device, v, v, g.B.Length, bc with { SrcOffset = p.PB, DstOffset = gB });
            PartialSums.Sum(device, v, v, g.C.Length, bc with { SrcOffset = p.PC, DstOffset = gC });
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.GState, g.State);
            HostPack.CopyOut(all, p.GX, g.X);
            HostPack.CopyOut(all, p.GDt, g.Dt);
            HostPack.CopyOut(all, p.GZ, g.Z);
            HostPack.CopyOut(all, gA, g.A);
            HostPack.CopyOut(all, gB, g.B);
            HostPack.CopyOut(all, gC, g.C);
            HostPack.CopyOut(all, gD, g.D);
            HostPack.CopyOut(all, gBias, g.DtBias);
            return g;
        }

        private static int Rows(in SelectiveStateUpdateShape s) => s.Batch * s.Heads * s.HeadDim;

        private static StepParams Inputs(in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateInputs<float> x, HostPack pack) => new()
        {
            Heads = s.Heads, HeadDim = s.HeadDim, State = s.State, Groups = s.Groups, Softplus = o.DtSoftplus ? 1 : 0,
            St = pack.Add(x.State), X = pack.Add(x.X), Dt = pack.Add(x.Dt), A = pack.Add(x.A), B = pack.Add(x.B),
            C = pack.Add(x.C), D = pack.Add(x.D), Z = pack.Add(x.Z), DtBias = pack.Add(x.DtBias),
            Dy = -1, DNew = -1, GZ = -1,
        };

        /// <summary>Sizes (Rows = B·H·P, Lanes = W), flags and offsets into the input pack (St … DNew) and the output
        /// pack (Y … PBias); −1 marks an absent tensor.</summary>
        internal struct StepParams
        {
            public int Heads, HeadDim, State, Groups, Softplus, Rows, Lanes;
            public int St, X, Dt, A, B, C, D, Z, DtBias, Dy, DNew;
            public int Y, NewState, GState, GX, GDt, GZ, PA, PB, PC, PD, PBias;
        }

        /// <summary>Row geometry: hp = (h, p) index, bc = offset of the row's B/C group; returns dt after
        /// bias and softplus.</summary>
        private static float RowDt(ArrayView<float> a, in StepParams p, int row, out int hp, out int bc, out float raw)
        {
            int hpCount = p.Heads * p.HeadDim;
            hp = row % hpCount;
            int b = row / hpCount, h = hp / p.HeadDim;
            bc = (b * p.Groups + h / (p.Heads / p.Groups)) * p.State;
            raw = a[p.Dt + row] + (p.DtBias >= 0 ? a[p.DtBias + hp] : 0f);
            return p.Softplus != 0 ? KernelMath.Softplus(raw) : raw;
        }

        /// <summary>Enqueues <paramref name="kernel"/> over <paramref name="rows"/> rows in groups of R rows × W
        /// lanes with (W+1)·R·3 shared floats (three lane-partial arrays).</summary>
        private static void Launch(GpuDevice device, Action<ArrayView<float>, ArrayView<float>, StepParams> kernel,
            StepParams p, int rows, ArrayView<float> a, ArrayView<float> o)
        {
            int group = LaneLayout.GroupSize(device), lanes = LaneLayout.LanesFor(p.State, group);
            int perGroup = group / lanes;
            p.Rows = rows;
            p.Lanes = lanes;
            var config = new KernelConfig(new Index1D((rows + perGroup - 1) / perGroup), new Index1D(group),
                SharedMemoryConfig.RequestDynamic<float>(3 * perGroup * (lanes + 1)));
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, StepParams>(kernel)(device.Stream, config, a,
                o, p);
        }

        /// <summary>Sum of the W lane partials of group-local row r at shared offset <paramref name="at"/>, in
        /// lane order.</summary>
        private static float LaneSum(ArrayView<float> sh, int at, int r, int lanes)
        {
            float sum = 0f;
            for (int k = 0; k < lanes; k++) sum += sh[at + r * (lanes + 1) + k];
            return sum;
        }

        // a: input pack, o: output pack. Thread k of group g: row g·R + k / W, lane k % W.
        [GpuKernel]
        internal static void StepKernel(ArrayView<float> a, ArrayView<float> o, StepParams p)
        {
            ArrayView<float> sh = SharedMemory.GetDynamic<float>();
            int N = p.State, W = p.Lanes, r = Group.IdxX / W, lane = Group.IdxX % W;
            int row = Grid.IdxX * (Group.DimX / W) + r;
            bool live = row < p.Rows;
            float acc = 0f, dt = 0f, xv = 0f;
            int hp = 0;
            if (live)
            {
                dt = RowDt(a, p, row, out hp, out int bc, out _);
                xv = a[p.X + row];
                for (int n = lane; n < N; n += W)
                {
                    float v = MathF.Exp(dt * a[p.A + hp * N + n]) * a[p.St + row * N + n] + dt * a[p.B + bc + n] * xv;
                    o[p.NewState + row * N + n] = v;
                    acc += v * a[p.C + bc + n];
                }
            }
            sh[r * (W + 1) + lane] = acc;
            Group.Barrier();
            if (!live || lane != 0) return;
            float y = LaneSum(sh, 0, r, W);
            if (p.D >= 0) y += a[p.D + hp] * xv;
            if (p.Z >= 0) y *= KernelMath.Silu(a[p.Z + row]);
            o[p.Y + row] = y;
        }

        // a: input pack, o: output pack (direct gradients and per-row partials). Shared: y_pre, dx and d dt lane
        // partials (R·(W+1) each) and, with a gate, the gated dy per row in the y_pre array's lane-W slot.
        [GpuKernel]
        internal static void BackwardKernel(ArrayView<float> a, ArrayView<float> o, StepParams p)
        {
            ArrayView<float> sh = SharedMemory.GetDynamic<float>();
            int N = p.State, W = p.Lanes, R = Group.DimX / W, r = Group.IdxX / W, lane = Group.IdxX % W;
            int row = Grid.IdxX * R + r, sX = R * (W + 1), sT = 2 * sX;
            bool live = row < p.Rows;
            float dt = 0f, raw = 0f, xv = 0f, gy = 0f;
            int hp = 0, bc = 0;
            if (live)
            {
                dt = RowDt(a, p, row, out hp, out bc, out raw);
                xv = a[p.X + row];
                gy = p.Dy >= 0 ? a[p.Dy + row] : 0f;
            }
            if (p.Z >= 0)
            {
                float part = 0f;
                if (live)
                    for (int n = lane; n < N; n += W)
                        part += (MathF.Exp(dt * a[p.A + hp * N + n]) * a[p.St + row * N + n]
                                 + dt * a[p.B + bc + n] * xv) * a[p.C + bc + n];
                sh[r * (W + 1) + lane] = part;
                Group.Barrier();
                if (live && lane == 0)
                {
                    float yPre = LaneSum(sh, 0, r, W) + (p.D >= 0 ? a[p.D + hp] * xv : 0f), z = a[p.Z + row];
                    o[p.GZ + row] = gy * yPre * KernelMath.SiluGrad(z);
                    sh[r * (W + 1) + W] = gy * KernelMath.Silu(z);
                }
                Group.Barrier();
                gy = sh[r * (W + 1) + W];
            }
            float dx = 0f, ddt = 0f;
            if (live)
                for (int n = lane; n < N; n += W)
                {
                    int k = row * N + n;
                    float an = a[p.A + hp * N + n], e = MathF.Exp(dt * an), st = a[p.St + k], bv = a[p.B + bc + n];
                    float gs = (p.DNew >= 0 ? a[p.DNew + k] : 0f) + gy * a[p.C + bc + n];
                    o[p.PC + k] = gy * (e * st + dt * bv * xv);
                    o[p.GState + k] = gs * e;
                    o[p.PB + k] = gs * dt * xv;
                    o[p.PA + k] = gs * dt * e * st;
                    dx += gs * dt * bv;
                    ddt += gs * (an * e * st + bv * xv);
                }
            sh[sX + r * (W + 1) + lane] = dx;
            sh[sT + r * (W + 1) + lane] = ddt;
            Group.Barrier();
            if (!live || lane != 0) return;
            dx = LaneSum(sh, sX, r, W);
            if (p.D >= 0)
            {
                o[p.PD + row] = gy * xv;
                dx += gy * a[p.D + hp];
            }
            o[p.GX + row] = dx;
            float draw = p.Softplus != 0 ? LaneSum(sh, sT, r, W) * KernelMath.SoftplusGrad(raw) : LaneSum(sh, sT, r, W);
            o[p.GDt + row] = draw;
            o[p.PBias + row] = draw;
        }
    }
}
