// Device-resident entry point of the ILGPU SSD forward: the dt pipeline (bias, softplus, clamp, dA = dt·A) runs in
// DiscretiseKernel on the device, then the packed operands go through the same recurrent or chunked forward as the
// host overload.
//   x, z, y: (B, L, H, P)   dt: (B, L, H)   A, dt_bias: (H)   B, C: (B, L, G, N)   D: (H) or (H, P)
//   initial_states, final_states: (B, H, P, N)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Ssd;

/// <summary>Inputs of the SSD op as device views; optional operands are empty views when absent.</summary>
public sealed class SsdViews
{
    /// <summary>x: (B, L, H, P).</summary>
    public ArrayView<float> X { get; init; }
    /// <summary>dt: (B, L, H), raw.</summary>
    public ArrayView<float> Dt { get; init; }
    /// <summary>A: (H).</summary>
    public ArrayView<float> A { get; init; }
    /// <summary>B: (B, L, G, N).</summary>
    public ArrayView<float> B { get; init; }
    /// <summary>C: (B, L, G, N).</summary>
    public ArrayView<float> C { get; init; }
    /// <summary>D: (H) or (H, P), optional.</summary>
    public ArrayView<float> D { get; init; }
    /// <summary>z: (B, L, H, P), optional.</summary>
    public ArrayView<float> Z { get; init; }
    /// <summary>dt_bias: (H), optional.</summary>
    public ArrayView<float> DtBias { get; init; }
    /// <summary>initial_states: (B, H, P, N), optional.</summary>
    public ArrayView<float> InitialStates { get; init; }
}

public static partial class Ssd
{
    public static partial class Gpu
    {
        /// <summary>Forward of the full op on device views. y: (B, L, H, P); finalStates: (B, H, P, N) or empty.
        /// Waits for the stream before it returns (its packed scratch is freed).</summary>
        public static void Forward(GpuDevice device, SsdShape s, SsdOptions o, SsdViews x, ArrayView<float> y,
            ArrayView<float> finalStates)
        {
            const string op = "ssd";
            s.Validate(op);
            if (x.D.Length != 0 && x.D.Length != s.H && x.D.Length != s.H * s.P)
                throw new ArgumentException($"[ssd] D holds {x.D.Length} values, expected (H={s.H}) or (H, P={s.P})");
            var pack = new DevicePack(op);
            int chunk = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(s.L)));
            var p = new CoreParams
            {
                L = s.L, H = s.H, P = s.P, G = s.G, N = s.N, DPerP = x.D.Length > 0 && x.D.Length != s.H ? 1 : 0,
                Rows = s.B * s.H * s.P, Chunk = chunk, Chunks = (s.L + chunk - 1) / chunk,
                X = pack.Add("x", x.X, s.XLength), B = pack.Add("B", x.B, s.BcLength),
                C = pack.Add("C", x.C, s.BcLength), D = pack.AddOptional("D", x.D, x.D.Length),
                Z = pack.AddOptional("z", x.Z, s.XLength),
                H0 = pack.AddOptional("initial_states", x.InitialStates, s.StateLength),
                Dy = -1, DFinal = -1, GZ = -1,
            };
            int dtAt = pack.Add("dt", x.Dt, s.DtLength), aAt = pack.Add("A", x.A, s.H);
            int biasAt = pack.AddOptional("dt_bias", x.DtBias, s.H);
            p.DA = pack.Reserve(s.DtLength);
            p.Scale = pack.Reserve(s.DtLength);
            DevicePack.Check(op, "y", y, s.XLength);
            if (finalStates.Length > 0) DevicePack.Check(op, "final_states", finalStates, s.StateLength);
            var output = new HostPack();
            p.Y = output.Reserve(s.XLength);
            p.Final = output.Reserve(s.StateLength);
            using var din = pack.Upload(device);
            using var dout = device.Allocate(output.Length);
            var dt = new DtArgs
            {
                H = s.H, Softplus = o.DtSoftplus ? 1 : 0, Min = o.DtMin, Max = o.DtMax,
                Dt = dtAt, A = aAt, Bias = biasAt, DA = p.DA, Scale = p.Scale,
            };
            device.GetOrLoad<Index1D, ArrayView<float>, DtArgs>(DiscretiseKernel)(
                device.Stream, s.DtLength, din.View, dt);
            if (o.Algorithm == SsdAlgorithm.Chunked) ChunkedForward(device, s, o.ChunkSize, din.View, dout.View, p);
            else LanesForward(device, p, din.View, dout.View);
            DevicePack.CopyOut(device, dout.View, p.Y, y);
            DevicePack.CopyOut(device, dout.View, p.Final, finalStates);
            device.Synchronize();
        }

        /// <summary>Offsets (into the packed buffer) and flags of the dt pipeline.</summary>
        internal struct DtArgs
        {
            public int H, Softplus, Dt, A, Bias, DA, Scale;
            public float Min, Max;
        }

        /// <summary>Per (b, t, h): dtv = ProcessDt(dt + dt_bias), dA = dtv·A[h] (as the host Discretise).</summary>
        [GpuKernel]
        internal static void DiscretiseKernel(Index1D i, ArrayView<float> a, DtArgs d)
        {
            int h = i % d.H;
            float bias = d.Bias >= 0 ? a[d.Bias + h] : 0f;
            float v = ProcessDt(a[d.Dt + i], bias, d.Softplus != 0, d.Min, d.Max, out _);
            a[d.Scale + i] = v;
            a[d.DA + i] = v * a[d.A + h];
        }
    }
}
