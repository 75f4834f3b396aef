// ILGPU path of the decode update (linear or circular conv_state, one or several new tokens); the kernels are the
// full conv's, reading the K-1 previous inputs from the state (CausalConv1d.Gpu.Kernels.cs).
//   x, y, dy, dx: (B, D, L)   conv_state, new state: (B, D, S)   weight: (D, K)   bias: (D,)   cache_seqlens: (B,)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    public static partial class Gpu
    {
        /// <summary>Decode update on host spans: y and the new conv state; cacheSeqlens empty = linear buffer.
        /// newState may be the same memory as convState.</summary>
        public static void Step(GpuDevice device, in CausalConv1dUpdateShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            ReadOnlySpan<int> cacheSeqlens, Span<float> y, Span<float> newState, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, y.Length,
                newState.Length);
            using var bx = device.Upload(x);
            using var bs = device.Upload(convState);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var bc = UploadInts(device, cacheSeqlens);
            using var by = Zeros(device, y.Length);
            using var bn = Zeros(device, newState.Length);
            Step(device, s, bx.View, bs.View, bw.View, bb.View, bc.View, by.View, bn.View, o);
            device.Download(by.View, y);
            device.Download(bn.View, newState);
        }

        /// <summary>Decode update on device views (enqueued, not synchronised). newState must not alias
        /// convState.</summary>
        public static void Step(GpuDevice device, in CausalConv1dUpdateShape s, ArrayView<float> x,
            ArrayView<float> convState, ArrayView<float> weight, ArrayView<float> bias, ArrayView<int> cacheSeqlens,
            ArrayView<float> y, ArrayView<float> newState, CausalConv1dOptions o)
        {
            Validate(s, Len(x), Len(convState), Len(weight), Len(bias), Len(cacheSeqlens), Len(y), Len(newState));
            if (Overlap(newState, convState))
                throw new ArgumentException("[causal_conv1d_update] new conv_state (B, D, S) overlaps conv_state: " +
                    "the device update cannot run in place");
            var v = new ConvViews(x, convState, cacheSeqlens, weight, bias);
            var a = UpdateArgsOf(s, o, bias.Length > 0, cacheSeqlens.Length > 0, false);
            Launch(device, s.Rows * s.Length, ForwardKernel, v, y, a);
            Launch(device, s.Rows * s.StateLength, NewStateKernel, v, convState, newState, a);
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dNewState·new_state for <see cref="Step(GpuDevice, in
        /// CausalConv1dUpdateShape, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float},
        /// ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, CausalConv1dOptions)"/> (overwritten;
        /// dBias may be empty).</summary>
        public static void StepBackward(GpuDevice device, in CausalConv1dUpdateShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            ReadOnlySpan<int> cacheSeqlens, ReadOnlySpan<float> dy, ReadOnlySpan<float> dNewState, Span<float> dx,
            Span<float> dConvState, Span<float> dWeight, Span<float> dBias, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, dy.Length,
                dNewState.Length);
            Validate(s, dx.Length, dConvState.Length, dWeight.Length, dBias.Length, 0, dy.Length, dNewState.Length);
            using var bx = device.Upload(x);
            using var bs = device.Upload(convState);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var bc = UploadInts(device, cacheSeqlens);
            using var bdy = device.Upload(dy);
            using var bdn = device.Upload(dNewState);
            using var bdx = Zeros(device, dx.Length);
            using var bds = Zeros(device, dConvState.Length);
            using var bdw = Zeros(device, dWeight.Length);
            using var bdb = Zeros(device, dBias.Length);
            StepBackward(device, s, bx.View, bs.View, bw.View, bb.View, bc.View, bdy.View, bdn.View, bdx.View,
                bds.View, bdw.View, bdb.View, o);
            device.Download(bdx.View, dx);
            device.Download(bds.View, dConvState);
            device.Download(bdw.View, dWeight);
            device.Download(bdb.View, dBias);
        }

        /// <summary>Update backward on device views; waits for the stream before returning.</summary>
        public static void StepBackward(GpuDevice device, in CausalConv1dUpdateShape s, ArrayView<float> x,
            ArrayView<float> convState, ArrayView<float> weight, ArrayView<float> bias, ArrayView<int> cacheSeqlens,
            ArrayView<float> dy, ArrayView<float> dNewState, ArrayView<float> dx, ArrayView<float> dConvState,
            ArrayView<float> dWeight, ArrayView<float> dBias, CausalConv1dOptions o)
        {
            Validate(s, Len(x), Len(convState), Len(weight), Len(bias), Len(cacheSeqlens), Len(dy), Len(dNewState));
            Validate(s, Len(dx), Len(dConvState), Len(dWeight), Len(dBias), 0, Len(dy), Len(dNewState));
            var v = new ConvViews(x, convState, cacheSeqlens, weight, bias);
            var a = UpdateArgsOf(s, o, bias.Length > 0, cacheSeqlens.Length > 0, true);
            RunBackward(device, v, a, s.Rows, dy, dNewState, dx, dWeight, dBias, dConvState,
                s.Rows * s.StateLength);
        }

        private static ConvArgs UpdateArgsOf(in CausalConv1dUpdateShape s, CausalConv1dOptions o, bool hasBias,
            bool circular, bool hasTail) =>
            new(circular ? ModeCircular : ModeLinear, s.Batch, s.Channels, s.Length, s.Width, s.StateLength, o.Silu,
                hasBias, true, hasTail);

        /// <summary>True when two non-empty views share device memory (compared by effective address).</summary>
        private static bool Overlap(ArrayView<float> a, ArrayView<float> b)
        {
            if (a.Length == 0 || b.Length == 0) return false;
            long pa = a.LoadEffectiveAddressAsPtr().ToInt64(), pb = b.LoadEffectiveAddressAsPtr().ToInt64();
            return pa < pb + b.LengthInBytes && pb < pa + a.LengthInBytes;
        }

        /// <summary>Copies cache_seqlens to the device (an empty span gives an empty buffer).</summary>
        private static MemoryBuffer1D<int, Stride1D.Dense> UploadInts(GpuDevice device, ReadOnlySpan<int> values)
        {
            var buffer = device.Accelerator.Allocate1D<int>(values.Length);
            if (values.Length > 0) buffer.View.CopyFromCPU(device.Stream, values);
            return buffer;
        }
    }
}
