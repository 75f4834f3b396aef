// Device-resident entry point of the ILGPU decode step: operands are views of device buffers, packed
// device-to-device and stepped by the same StepKernel as the host overload.
//   state, new_state: (B, H, P, N)   x, dt, z, y: (B, H, P)   A: (H, P, N)   B, C: (B, G, N)   D, dt_bias: (H, P)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Scan;

/// <summary>Inputs of one decode step as device views; optional operands are empty views when absent.</summary>
public sealed class SelectiveStateUpdateViews
{
    /// <summary>state: (B, H, P, N).</summary>
    public ArrayView<float> State { get; init; }
    /// <summary>x: (B, H, P).</summary>
    public ArrayView<float> X { get; init; }
    /// <summary>dt: (B, H, P), raw.</summary>
    public ArrayView<float> Dt { get; init; }
    /// <summary>A: (H, P, N).</summary>
    public ArrayView<float> A { get; init; }
    /// <summary>B: (B, G, N).</summary>
    public ArrayView<float> B { get; init; }
    /// <summary>C: (B, G, N).</summary>
    public ArrayView<float> C { get; init; }
    /// <summary>D: (H, P), optional.</summary>
    public ArrayView<float> D { get; init; }
    /// <summary>z: (B, H, P), optional.</summary>
    public ArrayView<float> Z { get; init; }
    /// <summary>dt_bias: (H, P), optional.</summary>
    public ArrayView<float> DtBias { get; init; }
}

public static partial class SelectiveStateUpdate
{
    public static partial class Gpu
    {
        /// <summary>One step on device views: y and the new state (<paramref name="newState"/> may alias the
        /// input state: the inputs are packed first). Waits for the stream before it returns.</summary>
        public static void Step(GpuDevice device, in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateViews x, ArrayView<float> y, ArrayView<float> newState)
        {
            if (s.Batch <= 0 || s.Heads <= 0 || s.HeadDim <= 0 || s.State <= 0 || s.Groups <= 0)
                throw new ArgumentException($"{Op} sizes must be positive: {s}");
            if (s.Heads % s.Groups != 0)
                throw new ArgumentException($"{Op} H={s.Heads} is not a multiple of G={s.Groups}");
            const string op = "selective_state_update";
            long bhp = (long)s.Batch * s.Heads * s.HeadDim, hp = (long)s.Heads * s.HeadDim;
            long bgn = (long)s.Batch * s.Groups * s.State;
            var pack = new DevicePack(op);
            var p = new StepParams
            {
                Heads = s.Heads, HeadDim = s.HeadDim, State = s.State, Groups = s.Groups,
                Softplus = o.DtSoftplus ? 1 : 0,
                St = pack.Add("state", x.State, bhp * s.State), X = pack.Add("x", x.X, bhp),
                Dt = pack.Add("dt", x.Dt, bhp), A = pack.Add("A", x.A, hp * s.State), B = pack.Add("B", x.B, bgn),
                C = pack.Add("C", x.C, bgn), D = pack.AddOptional("D", x.D, hp), Z = pack.AddOptional("z", x.Z, bhp),
                DtBias = pack.AddOptional("dt_bias", x.DtBias, hp), Dy = -1, DNew = -1, GZ = -1,
            };
            DevicePack.Check(op, "y", y, bhp);
            DevicePack.Check(op, "new_state", newState, bhp * s.State);
            var output = new HostPack();
            p.Y = output.Reserve((int)bhp);
            p.NewState = output.Reserve((int)(bhp * s.State));
            using var din = pack.Upload(device);
            using var dout = device.Allocate(Math.Max(1, output.Length));
            Launch(device, StepKernel, p, Rows(s), din.View, dout.View);
            DevicePack.CopyOut(device, dout.View, p.Y, y);
            DevicePack.CopyOut(device, dout.View, p.NewState, newState);
            device.Synchronize();
        }
    }
}
