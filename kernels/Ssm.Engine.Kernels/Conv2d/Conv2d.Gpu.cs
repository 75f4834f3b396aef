// ILGPU path of the 2-D convolution: direct loops, one thread per value it writes. The forward owns one output
// element, the input gradient one input element (gathering the outputs that read it), the weight gradient one
// weight (summing over batch and output positions) and the bias gradient one channel, each in a fixed order: no
// atomics, so the results are reproducible bit for bit on one device.
//   x, dx: (B, Cin, H, W)   weight, dweight: (Cout, Cin/G, Kh, Kw)   bias, dbias: (Cout,)   y, dy: (B, Cout, Ho, Wo)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Conv2d;

public static partial class Conv2d
{
    /// <summary>ILGPU path; same contract as <see cref="Reference"/> with a <see cref="GpuDevice"/> first. The
    /// <see cref="ArrayView{T}"/> overloads only enqueue on <see cref="GpuDevice.Stream"/>; the span overloads copy
    /// in, launch and copy out (synchronous). Empty spans/views mean "absent" (no bias, gradient not wanted).
    /// </summary>
    public static class Gpu
    {
        /// <summary>y = conv2d(x, weight) + bias (y overwritten).</summary>
        public static void Forward(GpuDevice device, in Conv2dShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y)
        {
            Validate(s, x.Length, weight.Length, bias.Length, y.Length);
            using var bx = device.Upload(x);
            using var bw = device.Upload(weight);
            using var bb = device.Upload(bias);
            using var by = device.Allocate(Math.Max(1, y.Length));
            Forward(device, s, bx.View, bw.View, bias.IsEmpty ? ArrayView<float>.Empty : bb.View,
                by.View.SubView(0, y.Length));
            device.Download(by.View.SubView(0, y.Length), y);
        }

        /// <summary>Forward on device views (enqueued, not synchronised).</summary>
        public static void Forward(GpuDevice device, in Conv2dShape s, ArrayView<float> x, ArrayView<float> weight,
            ArrayView<float> bias, ArrayView<float> y)
        {
            Validate(s, Len(x), Len(weight), Len(bias), Len(y));
            var a = new ConvArgs(s, bias.Length > 0);
            int n = (int)s.YLength;
            if (n > 0)
                device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                    ConvArgs>(ForwardKernel)(device.Stream, n, x, weight, bias, y, a);
        }

        /// <summary>Gradients from dy: dx, dweight, dbias (each overwritten, or skipped when empty).</summary>
        public static void Backward(GpuDevice device, in Conv2dShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dweight,
            Span<float> dbias)
        {
            Validate(s, x.Length, weight.Length, dbias.Length, dy.Length);
            using var bx = device.Upload(x);
            using var bw = device.Upload(weight);
            using var bdy = device.Upload(dy);
            using var bdx = device.Allocate(Math.Max(1, dx.Length));
            using var bdw = device.Allocate(Math.Max(1, dweight.Length));
            using var bdb = device.Allocate(Math.Max(1, dbias.Length));
            ArrayView<float> vdx = bdx.View.SubView(0, dx.Length), vdw = bdw.View.SubView(0, dweight.Length),
                vdb = bdb.View.SubView(0, dbias.Length);
            Backward(device, s, bx.View, bw.View, bdy.View, vdx, vdw, vdb);
            device.Download(vdx, dx);
            device.Download(vdw, dweight);
            device.Download(vdb, dbias);
        }

        /// <summary>Backward on device views (enqueued, not synchronised).</summary>
        public static void Backward(GpuDevice device, in Conv2dShape s, ArrayView<float> x, ArrayView<float> weight,
            ArrayView<float> dy, ArrayView<float> dx, ArrayView<float> dweight, ArrayView<float> dbias)
        {
            Validate(s, Len(x), Len(weight), Len(dbias), Len(dy));
            Optional("dx", "(B, Cin, H, W)", Len(dx), s.XLength);
            Optional("dweight", "(Cout, Cin/G, Kh, Kw)", Len(dweight), s.WeightLength);
            var a = new ConvArgs(s, false);
            if (dx.Length > 0)
                device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(
                    InputGradKernel)(device.Stream, (int)dx.Length, weight, dy, dx, a);
            if (dweight.Length > 0)
                device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(
                    WeightGradKernel)(device.Stream, (int)dweight.Length, x, dy, dweight, a);
            if (dbias.Length > 0)
                device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ConvArgs>(BiasGradKernel)(
                    device.Stream, (int)dbias.Length, dy, dbias, a);
        }

        private static int Len(ArrayView<float> v) => v.Length <= int.MaxValue
            ? (int)v.Length
            : throw new ArgumentException($"[conv2d] a device view holds {v.Length} values, too many");

        /// <summary>Sizes and options as ints (OpenCL forbids bool kernel arguments).</summary>
        internal readonly struct ConvArgs(in Conv2dShape s, bool hasBias)
        {
            public readonly int B = s.Batch, Cin = s.InChannels, H = s.Height, W = s.Width, Cout = s.OutChannels,
                Kh = s.KernelH, Kw = s.KernelW, Sh = s.StrideH, Sw = s.StrideW, Ph = s.PadH, Pw = s.PadW,
                Dh = s.DilationH, Dw = s.DilationW, Cig = s.InPerGroup, Cog = s.OutPerGroup, Ho = s.OutHeight,
                Wo = s.OutWidth, HasBias = hasBias ? 1 : 0;
        }

        // One thread per output (b, o, i, j): taps in (c, u, v) order, as the reference.
        [GpuKernel]
        internal static void ForwardKernel(Index1D t, ArrayView<float> x, ArrayView<float> weight,
            ArrayView<float> bias, ArrayView<float> y, ConvArgs a)
        {
            int j = t % a.Wo, i = t / a.Wo % a.Ho, o = t / (a.Wo * a.Ho) % a.Cout, b = t / (a.Wo * a.Ho * a.Cout);
            int g = o / a.Cog;
            float acc = a.HasBias != 0 ? bias[o] : 0f;
            for (int c = 0; c < a.Cig; c++)
            for (int u = 0; u < a.Kh; u++)
            {
                int r = i * a.Sh + u * a.Dh - a.Ph;
                if (r < 0 || r >= a.H) continue;
                for (int v = 0; v < a.Kw; v++)
                {
                    int q = j * a.Sw + v * a.Dw - a.Pw;
                    if (q < 0 || q >= a.W) continue;
                    acc += weight[((o * a.Cig + c) * a.Kh + u) * a.Kw + v]
                           * x[((b * a.Cin + g * a.Cig + c) * a.H + r) * a.W + q];
                }
            }
            y[t] = acc;
        }

        // One thread per input (b, ci, r, q): every output (o, i, j) of ci's group whose tap (u, v) lands on (r, q),
        // i.e. i·Sh = r + Ph − u·Dh exactly.
        [GpuKernel]
        internal static void InputGradKernel(Index1D t, ArrayView<float> weight, ArrayView<float> dy,
            ArrayView<float> dx, ConvArgs a)
        {
            int q = t % a.W, r = t / a.W % a.H, ci = t / (a.W * a.H) % a.Cin, b = t / (a.W * a.H * a.Cin);
            int g = ci / a.Cig, c = ci % a.Cig;
            float acc = 0f;
            for (int ol = 0; ol < a.Cog; ol++)
            {
                int o = g * a.Cog + ol;
                for (int u = 0; u < a.Kh; u++)
                {
                    int ni = r + a.Ph - u * a.Dh;
                    if (ni < 0 || ni % a.Sh != 0 || ni / a.Sh >= a.Ho) continue;
                    int i = ni / a.Sh;
                    for (int v = 0; v < a.Kw; v++)
                    {
                        int nj = q + a.Pw - v * a.Dw;
                        if (nj < 0 || nj % a.Sw != 0 || nj / a.Sw >= a.Wo) continue;
                        int j = nj / a.Sw;
                        acc += weight[((o * a.Cig + c) * a.Kh + u) * a.Kw + v]
                               * dy[((b * a.Cout + o) * a.Ho + i) * a.Wo + j];
                    }
                }
            }
            dx[t] = acc;
        }

        // One thread per weight (o, c, u, v): Σ over b, i, j of dy · the input the tap read.
        [GpuKernel]
        internal static void WeightGradKernel(Index1D t, ArrayView<float> x, ArrayView<float> dy,
            ArrayView<float> dweight, ConvArgs a)
        {
            int v = t % a.Kw, u = t / a.Kw % a.Kh, c = t / (a.Kw * a.Kh) % a.Cig, o = t / (a.Kw * a.Kh * a.Cig);
            int ci = o / a.Cog * a.Cig + c;
            float acc = 0f;
            for (int b = 0; b < a.B; b++)
            for (int i = 0; i < a.Ho; i++)
            {
                int r = i * a.Sh + u * a.Dh - a.Ph;
                if (r < 0 || r >= a.H) continue;
                for (int j = 0; j < a.Wo; j++)
                {
                    int q = j * a.Sw + v * a.Dw - a.Pw;
                    if (q < 0 || q >= a.W) continue;
                    acc += dy[((b * a.Cout + o) * a.Ho + i) * a.Wo + j] * x[((b * a.Cin + ci) * a.H + r) * a.W + q];
                }
            }
            dweight[t] = acc;
        }

        // One thread per output channel o: Σ over b, i, j of dy.
        [GpuKernel]
        internal static void BiasGradKernel(Index1D o, ArrayView<float> dy, ArrayView<float> dbias, ConvArgs a)
        {
            float acc = 0f;
            int plane = a.Ho * a.Wo;
            for (int b = 0; b < a.B; b++)
            {
                int start = (b * a.Cout + o) * plane;
                for (int k = 0; k < plane; k++) acc += dy[start + k];
            }
            dbias[o] = acc;
        }
    }
}
