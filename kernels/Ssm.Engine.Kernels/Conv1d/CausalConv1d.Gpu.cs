// ILGPU path of the full causal conv1d (kernels in CausalConv1d.Gpu.Kernels.cs). Shapes as in CausalConv1d.cs:
//   x, y, dy, dx: (B, D, L)   weight: (D, K)   bias: (D,)   initial/final states: (B, D, K-1)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    /// <summary>ILGPU path; same contracts as <see cref="Cpu"/> with a <see cref="GpuDevice"/> first. The span
    /// overloads copy in, launch and copy out (synchronous). The <see cref="ArrayView{T}"/> overloads of the forward
    /// passes only enqueue on <see cref="GpuDevice.Stream"/>; the backward ones wait for the stream before releasing
    /// their scratch buffers. Empty optional spans/views mean "absent". Gradients are reproducible bit for bit on
    /// one device (no atomics, fixed summation order).</summary>
    public static partial class Gpu
    {
        /// <summary>y = act(conv(concat(initial_states, x)) + bias); final_states = last K-1 columns of xp.</summary>
        public static void Forward(GpuDevice device, in CausalConv1dShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates, Span<float> y,
            Span<float> finalStates, CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, y.Length, finalStates.Length);
            using var dx = device.Upload(x);
            using var dw = device.Upload(weight);
            using var db = device.Upload(bias);
            using var di = device.Upload(initialStates);
            using var dy = Zeros(device, y.Length);
            using var df = Zeros(device, finalStates.Length);
            Forward(device, s, dx.View, dw.View, db.View, di.View, dy.View, df.View, o);
            device.Download(dy.View, y);
            device.Download(df.View, finalStates);
        }

        /// <summary>Forward on device views (enqueued, not synchronised).</summary>
        public static void Forward(GpuDevice device, in CausalConv1dShape s, ArrayView<float> x,
            ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> initialStates, ArrayView<float> y,
            ArrayView<float> finalStates, CausalConv1dOptions o)
        {
            Validate(s, Len(x), Len(weight), Len(bias), Len(initialStates), Len(y), Len(finalStates));
            var v = new ConvViews(x, initialStates, ArrayView<int>.Empty, weight, bias);
            var a = ConvArgsOf(s, o, bias.Length > 0, initialStates.Length > 0, false);
            Launch(device, s.Rows * s.Length, ForwardKernel, v, y, a);
            if (finalStates.Length > 0) Launch(device, s.Rows * s.StateWidth, FinalStatesKernel, v, finalStates, a);
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dFinal·final_states (overwritten). dBias and dInitialStates may be
        /// empty (not wanted), dFinalStates empty (no cotangent).</summary>
        public static void Backward(GpuDevice device, in CausalConv1dShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates,
            ReadOnlySpan<float> dy, ReadOnlySpan<float> dFinalStates, Span<float> dx, Span<float> dWeight,
            Span<float> dBias, Span<float> dInitialStates, CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, dy.Length, dFinalStates.Length);
            Validate(s, dx.Length, dWeight.Length, dBias.Length, dInitialStates.Length, dy.Length, 0);
            using var bx = device.Upload(x);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var bi = device.Upload(initialStates);
            using var bdy = device.Upload(dy);
            using var bdf = device.Upload(dFinalStates);
            using var bdx = Zeros(device, dx.Length);
            using var bdw = Zeros(device, dWeight.Length);
            using var bdb = Zeros(device, dBias.Length);
            using var bdi = Zeros(device, dInitialStates.Length);
            Backward(device, s, bx.View, bw.View, bb.View, bi.View, bdy.View, bdf.View, bdx.View, bdw.View, bdb.View,
                bdi.View, o);
            device.Download(bdx.View, dx);
            device.Download(bdw.View, dWeight);
            device.Download(bdb.View, dBias);
            device.Download(bdi.View, dInitialStates);
        }

        /// <summary>Backward on device views; waits for the stream before returning (scratch is released).</summary>
        public static void Backward(GpuDevice device, in CausalConv1dShape s, ArrayView<float> x,
            ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> initialStates, ArrayView<float> dy,
            ArrayView<float> dFinalStates, ArrayView<float> dx, ArrayView<float> dWeight, ArrayView<float> dBias,
            ArrayView<float> dInitialStates, CausalConv1dOptions o)
        {
            Validate(s, Len(x), Len(weight), Len(bias), Len(initialStates), Len(dy), Len(dFinalStates));
            Validate(s, Len(dx), Len(dWeight), Len(dBias), Len(dInitialStates), Len(dy), 0);
            var v = new ConvViews(x, initialStates, ArrayView<int>.Empty, weight, bias);
            var a = ConvArgsOf(s, o, bias.Length > 0, initialStates.Length > 0, dFinalStates.Length > 0);
            RunBackward(device, v, a, s.Rows, dy, dFinalStates, dx, dWeight, dBias, dInitialStates,
                dInitialStates.Length > 0 ? s.Rows * s.StateWidth : 0);
        }

        /// <summary>The backward launches shared with the update: g, dx, the head (initial state / conv state)
        /// gradient over <paramref name="headCount"/> values, then dweight/dbias through per-row partials.</summary>
        private static void RunBackward(GpuDevice device, ConvViews v, ConvArgs a, int rows, ArrayView<float> dy,
            ArrayView<float> dTail, ArrayView<float> dx, ArrayView<float> dWeight, ArrayView<float> dBias,
            ArrayView<float> dHead, int headCount)
        {
            int n = rows * a.L;
            using var g = device.Allocate(Math.Max(n, 1));
            using var partial = device.Allocate(Math.Max(rows * (a.K + 1), 1));
            ArrayView<float> gv = g.View, pv = partial.View;
            Launch(device, n, GradKernel, v, dy, gv, a);
            Launch(device, n, InputGradKernel, v, gv, dTail, dx, a);
            Launch(device, headCount, HeadGradKernel, v, gv, dTail, dHead, a);
            Launch(device, rows * (a.K + 1), RowWeightGradKernel, v, gv, pv, a);
            Launch(device, a.D * (a.K + 1), SumBatchKernel, pv, dWeight, dBias, a);
            device.Synchronize();
        }

        private static ConvArgs ConvArgsOf(in CausalConv1dShape s, CausalConv1dOptions o, bool hasBias, bool hasHead,
            bool hasTail) =>
            new(ModeConv, s.Batch, s.Channels, s.Length, s.Width, s.StateWidth, o.Silu, hasBias, hasHead, hasTail);

        /// <summary>A zero-filled device buffer of <paramref name="length"/> floats; 0 gives an empty buffer
        /// (<see cref="GpuDevice.Allocate"/> rejects a zero length).</summary>
        private static MemoryBuffer1D<float, Stride1D.Dense> Zeros(GpuDevice device, int length) =>
            length == 0 ? device.Upload(ReadOnlySpan<float>.Empty) : device.Allocate(length);

        private static int Len<T>(ArrayView<T> view) where T : unmanaged => view.Length <= int.MaxValue
            ? (int)view.Length
            : throw new ArgumentException($"[causal_conv1d] a device view holds {view.Length} values, too many");

        private static void Launch<T1, T2, T3>(GpuDevice device, int threads, Action<Index1D, T1, T2, T3> kernel,
            T1 p1, T2 p2, T3 p3)
            where T1 : struct where T2 : struct where T3 : struct
        {
            if (threads > 0) device.GetOrLoad(kernel)(device.Stream, threads, p1, p2, p3);
        }

        private static void Launch<T1, T2, T3, T4>(GpuDevice device, int threads,
            Action<Index1D, T1, T2, T3, T4> kernel, T1 p1, T2 p2, T3 p3, T4 p4)
            where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        {
            if (threads > 0) device.GetOrLoad(kernel)(device.Stream, threads, p1, p2, p3, p4);
        }

        private static void Launch<T1, T2, T3, T4, T5>(GpuDevice device, int threads,
            Action<Index1D, T1, T2, T3, T4, T5> kernel, T1 p1, T2 p2, T3 p3, T4 p4, T5 p5)
            where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
        {
            if (threads > 0) device.GetOrLoad(kernel)(device.Stream, threads, p1, p2, p3, p4, p5);
        }
    }
}
