// ILGPU selective scan: host overloads and shared helpers. The kernels are tiled over groups of R rows (b, d) × W
// lanes that share a row's N states: the forward in SelectiveScan.Gpu.Tiled.cs, the backward (checkpoint per tile,
// reverse sweep per tile) in SelectiveScan.Gpu.TiledBackward.cs.
//   u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
//   h0, last_state: (B, D, N)
// Parameter gradients shared between rows (dA, dB, dC, dD, d delta_bias) are written as per-row partials and reduced
// by PartialSums in a fixed order (no atomics).
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
            TileLayout layout = BackwardLayout(p, LaneLayout.GroupSize(device));
            HostPack output = new(), scratch = new();
            var (gA, gB, gC, gD, gBias) = ReserveBackward(ref p, s, layout, g.Z is not null, output, scratch);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            using var dscr = device.Allocate(scratch.Length);
            LaunchBackward(device, p, layout, din.View, dout.View, dscr.View);
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

        /// <summary>Sizes (Rows = B·D), flags, the tiled layout (Lanes, GroupRows, Tile, BcShared), offsets into
        /// the input pack (U … DLast), the output pack (Y, Last, GU … GH0) and the scratch (PA … Ck); −1 marks an
        /// absent tensor.</summary>
        internal struct ScanParams
        {
            public int Dim, Length, State, Groups, Rows, VarB, VarC, Softplus, Reverse;
            public int Lanes, GroupRows, Tile, BcShared;
            public int U, Delta, A, B, C, D, Z, Bias, H0, Dy, DLast;
            public int Y, Last, GU, GDelta, GZ, GH0;
            public int PA, PB, PC, PD, PBias, Ck;
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
    }
}
