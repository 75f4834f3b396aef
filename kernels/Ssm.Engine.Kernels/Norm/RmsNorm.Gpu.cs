// ILGPU path of RmsNorm (formulas in RmsNorm.cs). One group of GpuDevice.GroupSize threads per (row, channel group):
// each thread folds channels t, t+T, … of its normalisation group, then a shared-memory tree (fixed order) gives
// mean(v²) and, in the backward, mean(dn·n). Weight/bias gradients are written per row into (R, C) partials and
// summed over rows in row order, so there are no floating-point atomics and results are reproducible.
//   x, residual, z, y, residual_out, dy, dx, dz: (R, C)   weight, bias: (C,)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Norm;

public static partial class RmsNorm
{
    /// <summary>ILGPU path; same contracts as <see cref="Cpu"/> with a <see cref="GpuDevice"/> first. Span overloads
    /// copy in, launch and copy out; the forward view overload only enqueues, the backward one waits for the stream
    /// before releasing its scratch.</summary>
    public static class Gpu
    {
        /// <summary>y and (if wanted) residual_out = x + residual.</summary>
        public static void Forward(GpuDevice device, in RmsNormShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> residual, ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            Span<float> y, Span<float> residualOut, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, y.Length, residualOut.Length);
            using var bx = device.Upload(x);
            using var br = device.Upload(residual);
            using var bz = device.Upload(z);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var by = Zeros(device, y.Length);
            using var bro = Zeros(device, residualOut.Length);
            Forward(device, s, bx.View, br.View, bz.View, bw.View, bb.View, by.View, bro.View, o);
            device.Download(by.View, y);
            device.Download(bro.View, residualOut);
        }

        /// <summary>Forward on device views (enqueued, not synchronised).</summary>
        public static void Forward(GpuDevice device, in RmsNormShape s, ArrayView<float> x, ArrayView<float> residual,
            ArrayView<float> z, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
            ArrayView<float> residualOut, RmsNormOptions o)
        {
            Validate(s, Len(x), Len(residual), Len(z), Len(weight), Len(bias), Len(y), Len(residualOut));
            if (s.Rows == 0) return;
            var a = new NormArgs(s, o, residual.Length > 0, z.Length > 0, bias.Length > 0, residualOut.Length > 0,
                false, false);
            device.GetOrLoadGrouped<NormViews, ArrayView<float>, ArrayView<float>, NormArgs>(ForwardKernel)(
                device.Stream, Config(device, s), new NormViews(x, residual, z, weight, bias), y, residualOut, a);
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dResidualOut·residual_out (overwritten). dResidualOut may be empty
        /// (no cotangent); dResidual, dz, dBias may be empty (not wanted). dResidual equals dx.</summary>
        public static void Backward(GpuDevice device, in RmsNormShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> residual, ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, Span<float> dx, Span<float> dResidual,
            Span<float> dz, Span<float> dWeight, Span<float> dBias, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, dy.Length,
                dResidualOut.Length);
            Validate(s, dx.Length, dResidual.Length, dz.Length, dWeight.Length, dBias.Length, dy.Length, 0);
            using var bx = device.Upload(x);
            using var br = device.Upload(residual);
            using var bz = device.Upload(z);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var bdy = device.Upload(dy);
            using var bdro = device.Upload(dResidualOut);
            using var bdx = Zeros(device, dx.Length);
            using var bdz = Zeros(device, dz.Length);
            using var bdw = Zeros(device, dWeight.Length);
            using var bdb = Zeros(device, dBias.Length);
            Backward(device, s, bx.View, br.View, bz.View, bw.View, bb.View, bdy.View, bdro.View, bdx.View,
                default, bdz.View, bdw.View, bdb.View, o);
            device.Download(bdx.View, dx);
            if (!dResidual.IsEmpty) dx.CopyTo(dResidual);
            device.Download(bdz.View, dz);
            device.Download(bdw.View, dWeight);
            device.Download(bdb.View, dBias);
        }

        /// <summary>Backward on device views; waits for the stream before returning (scratch is released).</summary>
        public static void Backward(GpuDevice device, in RmsNormShape s, ArrayView<float> x, ArrayView<float> residual,
            ArrayView<float> z, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> dy,
            ArrayView<float> dResidualOut, ArrayView<float> dx, ArrayView<float> dResidual, ArrayView<float> dz,
            ArrayView<float> dWeight, ArrayView<float> dBias, RmsNormOptions o)
        {
            Validate(s, Len(x), Len(residual), Len(z), Len(weight), Len(bias), Len(dy), Len(dResidualOut));
            Validate(s, Len(dx), Len(dResidual), Len(dz), Len(dWeight), Len(dBias), Len(dy), 0);
            long rc = (long)s.Rows * s.Channels;
            using var pw = device.Allocate(Math.Max(rc, 1));
            using var pb = device.Allocate(Math.Max(rc, 1));
            var a = new NormArgs(s, o, residual.Length > 0, z.Length > 0, bias.Length > 0, false, dz.Length > 0,
                dResidualOut.Length > 0);
            if (s.Rows > 0)
                device.GetOrLoadGrouped<NormViews, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                    ArrayView<float>, ArrayView<float>, ArrayView<float>, NormArgs>(BackwardKernel)(device.Stream,
                    Config(device, s), new NormViews(x, residual, z, weight, bias), dy, dResidualOut, dx, dz, pw.View,
                    pb.View, a);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                NormArgs>(SumRowsKernel)(device.Stream, s.Channels, pw.View, pb.View, dWeight, dBias, a);
            if (dResidual.Length > 0) dx.CopyTo(device.Stream, dResidual);
            device.Synchronize();
        }

        private static KernelConfig Config(GpuDevice device, in RmsNormShape s)
        {
            int group = device.GroupSize;
            return new KernelConfig(new Index1D(s.Rows * (s.Channels / s.Group)), new Index1D(group),
                SharedMemoryConfig.RequestDynamic<float>(group));
        }

        /// <summary>A zero-filled device buffer of <paramref name="length"/> floats; 0 gives an empty buffer
        /// (<see cref="GpuDevice.Allocate"/> rejects a zero length).</summary>
        private static MemoryBuffer1D<float, Stride1D.Dense> Zeros(GpuDevice device, int length) =>
            length == 0 ? device.Upload(ReadOnlySpan<float>.Empty) : device.Allocate(length);

        private static int Len(ArrayView<float> view) => view.Length <= int.MaxValue
            ? (int)view.Length
            : throw new ArgumentException($"[rmsnorm] a device view holds {view.Length} values, too many");

        /// <summary>Device inputs; absent optional tensors are empty views, never read.</summary>
        internal readonly struct NormViews(ArrayView<float> x, ArrayView<float> residual, ArrayView<float> z,
            ArrayView<float> weight, ArrayView<float> bias)
        {
            public readonly ArrayView<float> X = x, Residual = residual, Z = z, Weight = weight, Bias = bias;
        }

        /// <summary>Sizes and flags of one call (ints: OpenCL forbids bool kernel arguments).</summary>
        internal readonly struct NormArgs(RmsNormShape s, RmsNormOptions o, bool hasResidual, bool hasZ,
            bool hasBias, bool hasResidualOut, bool hasDz, bool hasDResidualOut)
        {
            public readonly int R = s.Rows, C = s.Channels, G = s.Group, Groups = s.Channels / s.Group;
            public readonly int HasResidual = hasResidual ? 1 : 0, HasBias = hasBias ? 1 : 0;
            public readonly int GateBefore = hasZ && !o.NormBeforeGate ? 1 : 0;
            public readonly int GateAfter = hasZ && o.NormBeforeGate ? 1 : 0;
            public readonly int HasResidualOut = hasResidualOut ? 1 : 0, HasDz = hasDz ? 1 : 0;
            public readonly int HasDResidualOut = hasDResidualOut ? 1 : 0;
            public readonly double Eps = o.Eps;
        }

        /// <summary>s = x + residual.</summary>
        private static float Sum(NormViews v, NormArgs a, int i) =>
            a.HasResidual != 0 ? v.X[i] + v.Residual[i] : v.X[i];

        /// <summary>v = s · silu(z) when gating before the norm, else s.</summary>
        private static float Gated(NormViews v, NormArgs a, int i, float s) =>
            a.GateBefore != 0 ? s * KernelMath.Silu(v.Z[i]) : s;

        /// <summary>Sum of <paramref name="value"/> over the group: shared-memory tree, s = T/2, T/4, …, 1.
        /// Every thread gets the total; the shared array is free again on return.</summary>
        private static float GroupSum(ArrayView<float> shared, float value)
        {
            int t = Group.IdxX;
            shared[t] = value;
            Group.Barrier();
            for (int h = Group.DimX / 2; h > 0; h /= 2)
            {
                if (t < h) shared[t] += shared[t + h];
                Group.Barrier();
            }
            float total = shared[0];
            Group.Barrier();
            return total;
        }

        /// <summary>1 / rms of the (row, channel group) this group handles; c0 = first channel index.</summary>
        private static float InvRms(ArrayView<float> shared, NormViews v, NormArgs a, int c0)
        {
            float ss = 0f;
            for (int c = c0 + Group.IdxX; c < c0 + a.G; c += Group.DimX)
            {
                float g = Gated(v, a, c, Sum(v, a, c));
                ss += g * g;
            }
            return KernelMath.InvRms(GroupSum(shared, ss), a.G, a.Eps);
        }

        // Group per (row r, channel group): c0 = r·C + group·G; y = n·w (+ b), times silu(z) after the norm.
        [GpuKernel]
        internal static void ForwardKernel(NormViews v, ArrayView<float> y, ArrayView<float> residualOut, NormArgs a)
        {
            ArrayView<float> shared = SharedMemory.GetDynamic<float>();
            int r = Grid.IdxX / a.Groups, c0 = r * a.C + Grid.IdxX % a.Groups * a.G;
            float rs = InvRms(shared, v, a, c0);
            for (int i = c0 + Group.IdxX; i < c0 + a.G; i += Group.DimX)
            {
                int c = i - r * a.C;
                float s = Sum(v, a, i);
                if (a.HasResidualOut != 0) residualOut[i] = s;
                float o = Gated(v, a, i, s) * rs * v.Weight[c] + (a.HasBias != 0 ? v.Bias[c] : 0f);
                y[i] = a.GateAfter != 0 ? o * KernelMath.Silu(v.Z[i]) : o;
            }
        }

        // Group per (row, channel group). Pass 1: dout (after the gate), partials dout·n and dout, Σ dn·n.
        // Pass 2: dv = rs·(dn − n·mean(dn·n)), through the gate before the norm, plus the residual_out cotangent.
        [GpuKernel]
        internal static void BackwardKernel(NormViews v, ArrayView<float> dy, ArrayView<float> dResidualOut,
            ArrayView<float> dx, ArrayView<float> dz, ArrayView<float> partialW, ArrayView<float> partialB,
            NormArgs a)
        {
            ArrayView<float> shared = SharedMemory.GetDynamic<float>();
            int r = Grid.IdxX / a.Groups, c0 = r * a.C + Grid.IdxX % a.Groups * a.G;
            float rs = InvRms(shared, v, a, c0), dot = 0f;
            for (int i = c0 + Group.IdxX; i < c0 + a.G; i += Group.DimX)
            {
                int c = i - r * a.C;
                float n = Gated(v, a, i, Sum(v, a, i)) * rs, dout = dy[i];
                if (a.GateAfter != 0)
                {
                    float oc = n * v.Weight[c] + (a.HasBias != 0 ? v.Bias[c] : 0f);
                    if (a.HasDz != 0) dz[i] = dout * oc * KernelMath.SiluGrad(v.Z[i]);
                    dout *= KernelMath.Silu(v.Z[i]);
                }
                partialW[i] = dout * n;
                partialB[i] = dout;
                dot += dout * v.Weight[c] * n;
            }
            float mean = GroupSum(shared, dot) / a.G;
            for (int i = c0 + Group.IdxX; i < c0 + a.G; i += Group.DimX)
            {
                int c = i - r * a.C;
                float s = Sum(v, a, i), n = Gated(v, a, i, s) * rs;
                float dout = a.GateAfter != 0 ? dy[i] * KernelMath.Silu(v.Z[i]) : dy[i];
                float dv = rs * (dout * v.Weight[c] - n * mean), ds = dv;
                if (a.GateBefore != 0)
                {
                    ds = dv * KernelMath.Silu(v.Z[i]);
                    if (a.HasDz != 0) dz[i] = dv * s * KernelMath.SiluGrad(v.Z[i]);
                }
                if (a.HasDResidualOut != 0) ds += dResidualOut[i];
                dx[i] = ds;
            }
        }

        // i over (C): dweight[c] = Σ_r partialW[r, c], dbias[c] = Σ_r partialB[r, c], rows in order.
        [GpuKernel]
        internal static void SumRowsKernel(Index1D c, ArrayView<float> partialW, ArrayView<float> partialB,
            ArrayView<float> dWeight, ArrayView<float> dBias, NormArgs a)
        {
            float w = 0f, b = 0f;
            for (int r = 0; r < a.R; r++)
            {
                w += partialW[r * a.C + c];
                b += partialB[r * a.C + c];
            }
            dWeight[c] = w;
            if (dBias.Length > 0) dBias[c] = b;
        }
    }
}
