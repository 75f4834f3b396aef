// Fast CPU path of Conv2d (see Conv2d.cs for the definition).
//   dense / grouped:  per image and group, col = im2col(x_g) (Cin/G·Kh·Kw, Ho·Wo), then GEMMs
//                     y_g = W_g · col (+ bias),  dW_g += dY_g · colᵀ,  dcol = W_gᵀ · dY_g → col2im into dx
//   depthwise:        direct loops over (b, c) planes; for stride 1 each tap is an axpy over a contiguous
//                     row segment (TensorPrimitives, SIMD with a portable fallback)
using System.Buffers;
using System.Numerics.Tensors;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Kernels.Conv2d;

public static partial class Conv2d
{
    /// <summary>The fast float32 CPU path. Same contract as <see cref="Reference"/>; <c>threads</c> caps the
    /// worker count (0 = all cores).</summary>
    public static partial class Cpu
    {
        /// <summary>y = conv2d(x, weight) + bias (see <see cref="Reference.Forward{T}"/>).</summary>
        public static void Forward(in Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, Span<float> y, int threads = 0)
        {
            Validate(s, x.Length, weight.Length, bias.Length, y.Length);
            if (s.IsDepthwise)
            {
                DepthwiseForward(s, x, weight, bias, y, threads);
                return;
            }
            int cig = s.InPerGroup, cog = s.OutPerGroup, kk = cig * s.KernelH * s.KernelW;
            int hw = s.OutHeight * s.OutWidth, xPlane = s.Height * s.Width;
            var col = ArrayPool<float>.Shared.Rent(kk * hw);
            try
            {
                for (int b = 0; b < s.Batch; b++)
                for (int g = 0; g < s.Groups; g++)
                {
                    var xg = x.Slice((b * s.InChannels + g * cig) * xPlane, cig * xPlane);
                    ReadOnlySpan<float> cols = xg;                   // a pointwise conv's im2col is x itself
                    if (!IsPointwise(s))
                    {
                        Im2Col(s, xg, col);
                        cols = col.AsSpan(0, kk * hw);
                    }
                    var yg = y.Slice((b * s.OutChannels + g * cog) * hw, cog * hw);
                    Gemm.Cpu.Sgemm(false, false, cog, hw, kk, 1f, weight.Slice(g * cog * kk, cog * kk), kk,
                        cols, hw, 0f, yg, hw, threads);
                    if (!bias.IsEmpty)
                        for (int o = 0; o < cog; o++)
                            TensorPrimitives.Add(yg.Slice(o * hw, hw), bias[g * cog + o], yg.Slice(o * hw, hw));
                }
            }
            finally { ArrayPool<float>.Shared.Return(col); }
        }

        /// <summary>Gradients from dy (see <see cref="Reference.Backward{T}"/>): dx, dweight, dbias overwritten,
        /// or skipped when empty.</summary>
        public static void Backward(in Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> dy, Span<float> dx, Span<float> dweight, Span<float> dbias, int threads = 0)
        {
            Validate(s, x.Length, weight.Length, dbias.Length, dy.Length);
            Optional("dx", "(B, Cin, H, W)", dx.Length, s.XLength);
            Optional("dweight", "(Cout, Cin/G, Kh, Kw)", dweight.Length, s.WeightLength);
            int hw = s.OutHeight * s.OutWidth;
            for (int o = 0; o < dbias.Length; o++)
            {
                double acc = 0;
                for (int b = 0; b < s.Batch; b++)
                    acc += TensorPrimitives.Sum(dy.Slice((b * s.OutChannels + o) * hw, hw));
                dbias[o] = (float)acc;
            }
            if (s.IsDepthwise)
            {
                DepthwiseBackward(s, x, weight, dy, dx, dweight, threads);
                return;
            }
            int cig = s.InPerGroup, cog = s.OutPerGroup, kk = cig * s.KernelH * s.KernelW, xPlane = s.Height * s.Width;
            dweight.Clear();
            var col = ArrayPool<float>.Shared.Rent(kk * hw);
            try
            {
                for (int b = 0; b < s.Batch; b++)
                for (int g = 0; g < s.Groups; g++)
                {
                    var xg = x.Slice((b * s.InChannels + g * cig) * xPlane, cig * xPlane);
                    var dyg = dy.Slice((b * s.OutChannels + g * cog) * hw, cog * hw);
                    var c = col.AsSpan(0, kk * hw);
                    bool direct = IsPointwise(s);
                    if (!dweight.IsEmpty)
                    {
                        if (!direct) Im2Col(s, xg, c);
                        Gemm.Cpu.Sgemm(false, true, cog, kk, hw, 1f, dyg, hw, direct ? xg : c, hw, 1f,
                            dweight.Slice(g * cog * kk, cog * kk), kk, threads);
                    }
                    if (dx.IsEmpty) continue;
                    var dxg = dx.Slice((b * s.InChannels + g * cig) * xPlane, cig * xPlane);
                    Gemm.Cpu.Sgemm(true, false, kk, hw, cog, 1f, weight.Slice(g * cog * kk, cog * kk), kk, dyg, hw,
                        0f, direct ? dxg : c, hw, threads);
                    if (!direct) Col2Im(s, c, dxg);
                }
            }
            finally { ArrayPool<float>.Shared.Return(col); }
        }

        /// <summary>col[(c·Kh + u)·Kw + v, i·Wo + j] = x[c, i·sH + u·dH − pH, j·sW + v·dW − pW] (0 outside).
        /// x: (Cin/G, H, W) of one image and group.</summary>
        internal static void Im2Col(in Conv2dShape s, ReadOnlySpan<float> x, Span<float> col)
        {
            int ho = s.OutHeight, wo = s.OutWidth, hw = ho * wo;
            for (int c = 0; c < s.InPerGroup; c++)
            for (int u = 0; u < s.KernelH; u++)
            for (int v = 0; v < s.KernelW; v++)
            {
                var row = col.Slice(((c * s.KernelH + u) * s.KernelW + v) * hw, hw);
                var (j0, j1) = ValidRange(v, s.DilationW, s.PadW, s.StrideW, s.Width, wo);
                int shiftW = v * s.DilationW - s.PadW;
                for (int i = 0; i < ho; i++)
                {
                    var dst = row.Slice(i * wo, wo);
                    int r = i * s.StrideH + u * s.DilationH - s.PadH;
                    if (r < 0 || r >= s.Height || j0 >= j1) { dst.Clear(); continue; }
                    dst[..j0].Clear();
                    dst[j1..].Clear();
                    var src = x.Slice((c * s.Height + r) * s.Width);
                    if (s.StrideW == 1) src.Slice(j0 + shiftW, j1 - j0).CopyTo(dst[j0..j1]);
                    else for (int j = j0; j < j1; j++) dst[j] = src[j * s.StrideW + shiftW];
                }
            }
        }

        /// <summary>Adjoint of <see cref="Im2Col"/>: dx (Cin/G, H, W) = Σ of col entries at their source
        /// positions (dx overwritten).</summary>
        internal static void Col2Im(in Conv2dShape s, ReadOnlySpan<float> col, Span<float> dx)
        {
            int ho = s.OutHeight, wo = s.OutWidth, hw = ho * wo;
            dx.Clear();
            for (int c = 0; c < s.InPerGroup; c++)
            for (int u = 0; u < s.KernelH; u++)
            for (int v = 0; v < s.KernelW; v++)
            {
                var row = col.Slice(((c * s.KernelH + u) * s.KernelW + v) * hw, hw);
                var (j0, j1) = ValidRange(v, s.DilationW, s.PadW, s.StrideW, s.Width, wo);
                if (j0 >= j1) continue;
                int shiftW = v * s.DilationW - s.PadW;
                for (int i = 0; i < ho; i++)
                {
                    int r = i * s.StrideH + u * s.DilationH - s.PadH;
                    if (r < 0 || r >= s.Height) continue;
                    var dst = dx.Slice((c * s.Height + r) * s.Width);
                    var src = row.Slice(i * wo);
                    if (s.StrideW == 1)
                    {
                        var d = dst.Slice(j0 + shiftW, j1 - j0);
                        TensorPrimitives.Add(d, src[j0..j1], d);
                    }
                    else for (int j = j0; j < j1; j++) dst[j * s.StrideW + shiftW] += src[j];
                }
            }
        }

        /// <summary>1×1 kernel, stride 1, no padding: the column matrix is the input plane itself.</summary>
        private static bool IsPointwise(in Conv2dShape s) =>
            s.KernelH == 1 && s.KernelW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;

        private static long Work(in Conv2dShape s) => s.YLength * s.KernelH * s.KernelW;
    }
}
