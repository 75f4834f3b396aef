// Device-resident entry point of the ILGPU selective scan: the operands are views of device buffers (tensors that
// already live on the device), packed device-to-device and scanned by the same tiled kernel as the host overload.
//   u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
//   h0, last_state: (B, D, N)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

/// <summary>Inputs of the selective scan as device views; optional operands are empty views when absent.
/// </summary>
public sealed class SelectiveScanViews
{
    /// <summary>u: (B, D, L).</summary>
    public ArrayView<float> U { get; init; }
    /// <summary>delta: (B, D, L), raw.</summary>
    public ArrayView<float> Delta { get; init; }
    /// <summary>A: (D, N).</summary>
    public ArrayView<float> A { get; init; }
    /// <summary>B: (D, N) or (B, G, N, L).</summary>
    public ArrayView<float> B { get; init; }
    /// <summary>C: (D, N) or (B, G, N, L).</summary>
    public ArrayView<float> C { get; init; }
    /// <summary>D: (D), optional.</summary>
    public ArrayView<float> D { get; init; }
    /// <summary>z: (B, D, L), optional.</summary>
    public ArrayView<float> Z { get; init; }
    /// <summary>delta_bias: (D), optional.</summary>
    public ArrayView<float> DeltaBias { get; init; }
    /// <summary>h0: (B, D, N), optional.</summary>
    public ArrayView<float> H0 { get; init; }
}

public static partial class SelectiveScan
{
    public static partial class Gpu
    {
        /// <summary>y = scan(x) on device views; writes the final state into <paramref name="lastState"/> unless
        /// it is empty. Waits for the stream before it returns (its packed scratch is freed).</summary>
        public static void Forward(GpuDevice device, in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanViews x, ArrayView<float> y, ArrayView<float> lastState)
        {
            ValidateSizes(s);
            const string op = "selective_scan";
            long bdl = (long)s.Batch * s.Dim * s.Length, bdn = (long)s.Batch * s.Dim * s.State;
            var pack = new DevicePack(op);
            var p = ViewParams(s, o, x, pack);
            DevicePack.Check(op, "y", y, bdl);
            if (lastState.Length > 0) DevicePack.Check(op, "last_state", lastState, bdn);
            int rows = s.Batch * s.Dim;
            var output = new HostPack();
            p.Y = output.Reserve((int)bdl);
            p.Last = output.Reserve(rows * s.State);
            using var din = pack.Upload(device);
            using var dout = device.Allocate(output.Length);
            LaunchForward(device, p, din.View, dout.View);
            DevicePack.CopyOut(device, dout.View, p.Y, y);
            DevicePack.CopyOut(device, dout.View, p.Last, lastState);
            device.Synchronize();
        }

        /// <summary>Sizes, flags and the offsets of the inputs packed into <paramref name="pack"/> (length-checked).
        /// </summary>
        private static ScanParams ViewParams(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanViews x, DevicePack pack)
        {
            long bdl = (long)s.Batch * s.Dim * s.Length, bdn = (long)s.Batch * s.Dim * s.State;
            return new ScanParams
            {
                Dim = s.Dim, Length = s.Length, State = s.State, Groups = s.Groups, Rows = s.Batch * s.Dim,
                VarB = s.VariableB ? 1 : 0, VarC = s.VariableC ? 1 : 0,
                Softplus = o.DeltaSoftplus ? 1 : 0, Reverse = o.Reverse ? 1 : 0,
                U = pack.Add("u", x.U, bdl), Delta = pack.Add("delta", x.Delta, bdl),
                A = pack.Add("A", x.A, (long)s.Dim * s.State), B = pack.Add("B", x.B, s.BLength),
                C = pack.Add("C", x.C, s.CLength), D = pack.AddOptional("D", x.D, s.Dim),
                Z = pack.AddOptional("z", x.Z, bdl), Bias = pack.AddOptional("delta_bias", x.DeltaBias, s.Dim),
                H0 = pack.AddOptional("h0", x.H0, bdn), Dy = -1, DLast = -1, GZ = -1,
            };
        }

        private static void ValidateSizes(in SelectiveScanShape s)
        {
            if (s.Batch <= 0 || s.Dim <= 0 || s.Length <= 0 || s.State <= 0 || s.Groups <= 0)
                throw new ArgumentException($"{Op} sizes must be positive: {s}");
            if (s.Dim % s.Groups != 0)
                throw new ArgumentException($"{Op} D={s.Dim} is not a multiple of G={s.Groups}");
        }
    }
}
