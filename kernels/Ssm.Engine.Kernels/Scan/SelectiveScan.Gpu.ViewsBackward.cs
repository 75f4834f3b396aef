// Device-resident backward of the ILGPU selective scan: the inputs and cotangents are views of device buffers,
// packed device-to-device and differentiated by the same tiled backward kernel as the host overload; the gradients are
// copied device-to-device into the caller's views (nothing goes through the host).
//   u, delta, z, dy: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
//   h0, d_last_state: (B, D, N)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Gpu
    {
        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dLastState ⊙ last_state on device views (either cotangent may be
        /// empty = 0). <paramref name="grads"/> holds one view per input shaped like it (U … H0); an empty view is a
        /// gradient not wanted. Waits for the stream before it returns (its scratch is freed).</summary>
        public static void Backward(GpuDevice device, in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanViews x, ArrayView<float> dy, ArrayView<float> dLastState, SelectiveScanViews grads)
        {
            ValidateSizes(s);
            const string op = "selective_scan";
            long bdl = (long)s.Batch * s.Dim * s.Length, bdn = (long)s.Batch * s.Dim * s.State;
            var pack = new DevicePack(op);
            var p = ViewParams(s, o, x, pack);
            p.Dy = pack.AddOptional("dy", dy, bdl);
            p.DLast = pack.AddOptional("d_last_state", dLastState, bdn);
            int rows = s.Batch * s.Dim, N = s.State, L = s.Length;
            TileLayout layout = BackwardLayout(p, LaneLayout.GroupSize(device));
            HostPack output = new(), scratch = new();
            var (gA, gB, gC, gD, gBias) = ReserveBackward(ref p, s, layout, p.Z >= 0, output, scratch);
            CheckGrad(op, "dU", grads.U, bdl);
            CheckGrad(op, "dDelta", grads.Delta, bdl);
            CheckGrad(op, "dA", grads.A, (long)s.Dim * N);
            CheckGrad(op, "dB", grads.B, s.BLength);
            CheckGrad(op, "dC", grads.C, s.CLength);
            CheckGrad(op, "dD", grads.D, s.Dim);
            CheckGrad(op, "dz", grads.Z, p.Z >= 0 ? bdl : 0);
            CheckGrad(op, "d delta_bias", grads.DeltaBias, s.Dim);
            CheckGrad(op, "dh0", grads.H0, bdn);
            using var din = pack.Upload(device);
            using var dout = device.Allocate(output.Length);
            using var dscr = device.Allocate(scratch.Length);
            LaunchBackward(device, p, layout, din.View, dout.View, dscr.View);
            ArrayView<float> sv = dscr.View, ov = dout.View;
            PartialSums.SumBlocks(device, sv, p.PA, ov, gA, s.Dim * N, s.Batch);
            PartialSums.SumBlocks(device, sv, p.PD, ov, gD, s.Dim, s.Batch);
            PartialSums.SumBlocks(device, sv, p.PBias, ov, gBias, s.Dim, s.Batch);
            SumBc(device, s, sv, p.PB, ov, gB, s.VariableB, (int)s.BLength);
            SumBc(device, s, sv, p.PC, ov, gC, s.VariableC, (int)s.CLength);
            DevicePack.CopyOut(device, ov, p.GU, grads.U);
            DevicePack.CopyOut(device, ov, p.GDelta, grads.Delta);
            DevicePack.CopyOut(device, ov, p.GZ, grads.Z);
            DevicePack.CopyOut(device, ov, p.GH0, grads.H0);
            DevicePack.CopyOut(device, ov, gA, grads.A);
            DevicePack.CopyOut(device, ov, gB, grads.B);
            DevicePack.CopyOut(device, ov, gC, grads.C);
            DevicePack.CopyOut(device, ov, gD, grads.D);
            DevicePack.CopyOut(device, ov, gBias, grads.DeltaBias);
            device.Synchronize();
        }

        /// <summary>An optional gradient view: empty (not wanted) or exactly <paramref name="expected"/> long.
        /// </summary>
        private static void CheckGrad(string op, string name, ArrayView<float> v, long expected)
        {
            if (v.Length > 0) DevicePack.Check(op, name, v, expected);
        }
    }
}
