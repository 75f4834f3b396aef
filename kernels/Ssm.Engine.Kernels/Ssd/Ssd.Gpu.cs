// ILGPU SSD, forward and backward, both forms (full op and the pre-discretised ssd_minimal form).
// The dt pipeline (bias, softplus, clamp) runs on the host with Ssd.ProcessDt, as in Ssd.Cpu; the device runs the
// core recurrence h_t = exp(dA_t)·h_{t-1} + (s_t·x_t) ⊗ B_t, y_t = (h_t·C_t + D·x_t)·silu(z_t) (kernels in
// Ssd.Gpu.Kernels.cs). SsdAlgorithm.Chunked runs the chunked forward of Ssd.Gpu.Chunked.cs; Auto and Recurrent
// the recurrence. The backward is the recurrent one for every algorithm.
//   x, z, y: (B, L, H, P)   dt, dA: (B, L, H)   B, C: (B, L, G, N)   D: (H) or (H, P)   h0, final: (B, H, P, N)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    /// <summary>ILGPU path; same contract as <c>Ssd.Cpu</c> with a <see cref="GpuDevice"/> first. The host
    /// overloads upload the inputs, run and download (synchronous). <see cref="SsdAlgorithm.Chunked"/> runs the
    /// chunked forward (parallel over tokens), <see cref="SsdAlgorithm.Auto"/> and
    /// <see cref="SsdAlgorithm.Recurrent"/> the token recurrence (R rows (b, h, p) × W state lanes per group); the
    /// backward is the recurrent one for every algorithm.</summary>
    public static partial class Gpu
    {
        /// <summary>Forward of the full op. y: (B, L, H, P); finalStates: (B, H, P, N) or null.</summary>
        public static void Forward(GpuDevice device, SsdShape s, SsdOptions o, SsdInputs<float> x, float[] y,
            float[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            var (dA, dtv, _) = Discretise(s, o, x);
            CoreForward(device, s, o, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, y, finalStates);
        }

        /// <summary>Forward of the pre-discretised form (its dt options are unused).</summary>
        public static void ForwardDiscrete(GpuDevice device, SsdShape s, SsdOptions o, SsdDiscreteInputs<float> x,
            float[] y, float[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            CoreForward(device, s, o, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, y, finalStates);
        }

        /// <summary>Backward of the full op into <paramref name="g"/> (overwritten). Deterministic: repeated runs on
        /// one device are bit-identical.</summary>
        public static void Backward(GpuDevice device, SsdShape s, SsdOptions o, SsdInputs<float> x, float[] dy,
            float[]? dFinal, SsdGradients<float> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            var (dA, dtv, pass) = Discretise(s, o, x);
            var ddA = new float[s.DtLength];
            var ddtv = new float[s.DtLength];
            CoreBackward(device, s, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, dy, dFinal,
                g.X, ddtv, ddA, g.B, g.C, g.D, g.Z, g.InitialStates);
            // dA, dt, dt_bias from the per-token sums, as in Ssd.Cpu (host, fixed order).
            var dAd = new double[s.H];
            var dBias = new double[s.H];
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                float ddt = ddtv[i] + ddA[i] * x.A[h];
                dAd[h] += (double)ddA[i] * dtv[i];
                float raw = ddt * pass[i];
                g.Dt[i] = raw;
                dBias[h] += raw;
            }
            for (int h = 0; h < s.H; h++)
            {
                g.A[h] = (float)dAd[h];
                if (g.DtBias is not null) g.DtBias[h] = (float)dBias[h];
            }
        }

        /// <summary>Backward of the pre-discretised form into <paramref name="g"/> (overwritten).</summary>
        public static void BackwardDiscrete(GpuDevice device, SsdShape s, SsdOptions o, SsdDiscreteInputs<float> x,
            float[] dy, float[]? dFinal, SsdDiscreteGradients<float> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            CoreBackward(device, s, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, dy, dFinal,
                g.X, null, g.A, g.B, g.C, null, null, g.InitialStates);
        }

        private static (float[] dA, float[] dtv, float[] pass) Discretise(SsdShape s, SsdOptions o,
            SsdInputs<float> x)
        {
            var dA = new float[s.DtLength];
            var dtv = new float[s.DtLength];
            var pass = new float[s.DtLength];
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                dtv[i] = ProcessDt(x.Dt[i], x.DtBias?[h] ?? 0f, o, out pass[i]);
                dA[i] = dtv[i] * x.A[h];
            }
            return (dA, dtv, pass);
        }

        private static CoreParams Pack(SsdShape s, float[] dA, float[]? scale, float[] x, float[] bm, float[] cm,
            float[]? d, float[]? z, float[]? h0, HostPack pack)
        {
            int chunk = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(s.L)));
            return new CoreParams
            {
                L = s.L, H = s.H, P = s.P, G = s.G, N = s.N, DPerP = d is not null && d.Length != s.H ? 1 : 0,
                Rows = s.B * s.H * s.P,
                Chunk = chunk, Chunks = (s.L + chunk - 1) / chunk,
                DA = pack.Add(dA), Scale = pack.Add(scale), X = pack.Add(x), B = pack.Add(bm), C = pack.Add(cm),
                D = pack.Add(d), Z = pack.Add(z), H0 = pack.Add(h0), Dy = -1, DFinal = -1, GZ = -1,
            };
        }

        private static void CoreForward(GpuDevice device, SsdShape s, SsdOptions o, float[] dA, float[]? scale,
            float[] x, float[] bm, float[] cm, float[]? d, float[]? z, float[]? h0, float[] y, float[]? final)
        {
            var input = new HostPack();
            CoreParams p = Pack(s, dA, scale, x, bm, cm, d, z, h0, input);
            var output = new HostPack();
            p.Y = output.Reserve(s.XLength);
            p.Final = output.Reserve(s.StateLength);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            if (o.Algorithm == SsdAlgorithm.Chunked) ChunkedForward(device, s, o.ChunkSize, din.View, dout.View, p);
            else LanesForward(device, p, din.View, dout.View);
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.Y, y);
            HostPack.CopyOut(all, p.Final, final);
        }

        // Gradients (overwritten): dx, dz like x; ddtv, ddA: (B, L, H); dB, dC like B; dD like D; dh0 like h0.
        private static void CoreBackward(GpuDevice device, SsdShape s, float[] dA, float[]? scale, float[] x,
            float[] bm, float[] cm, float[]? d, float[]? z, float[]? h0, float[] dy, float[]? dFinal, float[] dx,
            float[]? ddtv, float[] ddA, float[] dB, float[] dC, float[]? dD, float[]? dz, float[]? dh0)
        {
            var input = new HostPack();
            CoreParams p = Pack(s, dA, scale, x, bm, cm, d, z, h0, input);
            p.Dy = input.Add(dy);
            p.DFinal = input.Add(dFinal);
            int rows = s.B * s.H * s.P, cols = s.B * s.H * s.N, bhln = s.B * s.L * s.H * s.N;
            var output = new HostPack();
            p.GX = output.Reserve(s.XLength);
            p.GZ = output.ReserveIf(z is not null, s.XLength);
            p.GH0 = output.Reserve(s.StateLength);
            p.PD = output.Reserve(rows);
            int gdA = output.Reserve(s.DtLength), gdS = output.Reserve(s.DtLength);
            int gB = output.Reserve(s.BcLength), gC = output.Reserve(s.BcLength);
            var scratch = new HostPack();
            p.Gy = scratch.Reserve(s.XLength);
            p.PdA = scratch.Reserve(s.XLength);
            p.PdS = scratch.Reserve(s.XLength);
            p.PdB = scratch.Reserve(bhln);
            p.PdC = scratch.Reserve(bhln);
            p.Ck = scratch.Reserve(rows * p.Chunks * s.N);
            p.Hs = scratch.Reserve(rows * (p.Chunk + 1) * s.N);
            p.Col = scratch.Reserve(cols * s.P);
            p.Work = scratch.Reserve(s.StateLength);
            using var din = input.Upload(device);
            using var dout = device.Allocate(output.Length);
            using var dscr = device.Allocate(scratch.Length);
            ArrayView<float> ov = dout.View, sv = dscr.View;
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, CoreParams>(
                BackwardRowKernel)(device.Stream, rows, din.View, ov, sv, p);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, CoreParams>(BackwardColumnKernel)(
                device.Stream, cols, din.View, sv, p);
            // (B, L, H, P) partials summed over p; (B, L, H, N) partials over the heads of each group.
            var overP = new SumParams { Inner = 1, OuterStride = s.P, Stride = 1, Count = s.P };
            PartialSums.Sum(device, sv, ov, s.DtLength, overP with { SrcOffset = p.PdA, DstOffset = gdA });
            PartialSums.Sum(device, sv, ov, s.DtLength, overP with { SrcOffset = p.PdS, DstOffset = gdS });
            int hg = s.HeadsPerGroup;
            var overH = new SumParams { Inner = s.N, OuterStride = hg * s.N, Stride = s.N, Count = hg };
            PartialSums.Sum(device, sv, ov, s.BcLength, overH with { SrcOffset = p.PdB, DstOffset = gB });
            PartialSums.Sum(device, sv, ov, s.BcLength, overH with { SrcOffset = p.PdC, DstOffset = gC });
            float[] all = HostPack.Download(device, dout);
            HostPack.CopyOut(all, p.GX, dx);
            HostPack.CopyOut(all, p.GZ, dz);
            HostPack.CopyOut(all, p.GH0, dh0);
            HostPack.CopyOut(all, gdA, ddA);
            HostPack.CopyOut(all, gdS, ddtv);
            HostPack.CopyOut(all, gB, dB);
            HostPack.CopyOut(all, gC, dC);
            if (dD is null) return;
            // dD: per-row partials (B, H, P) summed over b (and p when D is per head), in a fixed order.
            Array.Clear(dD);
            for (int r = 0; r < rows; r++)
            {
                int hp = r % (s.H * s.P);
                dD[dD.Length == s.H ? hp / s.P : hp] += all[p.PD + r];
            }
        }
    }
}
