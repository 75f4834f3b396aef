// Plain loops with float64 accumulation: the specification and test oracle of Conv2d (see Conv2d.cs).
// Generic over the element type so float64 autograd ops (gradient checks) run on the same code.
using System.Numerics;

namespace Ssm.Engine.Kernels.Conv2d;

public static partial class Conv2d
{
    /// <summary>Reference loops (any floating element type, float64 accumulation).</summary>
    public static class Reference
    {
        /// <summary>y = conv2d(x, weight) + bias.   x: (B, Cin, H, W), weight: (Cout, Cin/G, Kh, Kw),
        /// bias: (Cout,) or empty, y: (B, Cout, Ho, Wo) (overwritten).</summary>
        public static void Forward<T>(in Conv2dShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> weight,
            ReadOnlySpan<T> bias, Span<T> y) where T : unmanaged, IFloatingPoint<T>
        {
            Validate(s, x.Length, weight.Length, bias.Length, y.Length);
            int ho = s.OutHeight, wo = s.OutWidth, cig = s.InPerGroup, cog = s.OutPerGroup;
            for (int b = 0; b < s.Batch; b++)
            for (int o = 0; o < s.OutChannels; o++)
            for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
            {
                double acc = bias.IsEmpty ? 0 : double.CreateTruncating(bias[o]);
                int g = o / cog;
                for (int c = 0; c < cig; c++)
                for (int u = 0; u < s.KernelH; u++)
                for (int v = 0; v < s.KernelW; v++)
                {
                    int r = i * s.StrideH + u * s.DilationH - s.PadH, q = j * s.StrideW + v * s.DilationW - s.PadW;
                    if (r < 0 || r >= s.Height || q < 0 || q >= s.Width) continue;
                    acc += double.CreateTruncating(weight[((o * cig + c) * s.KernelH + u) * s.KernelW + v])
                           * double.CreateTruncating(x[XIndex(s, b, g * cig + c, r, q)]);
                }
                y[((b * s.OutChannels + o) * ho + i) * wo + j] = T.CreateTruncating(acc);
            }
        }

        /// <summary>Gradients from dy (B, Cout, Ho, Wo): dx (B, Cin, H, W), dweight, dbias — each overwritten,
        /// or skipped when empty.</summary>
        public static void Backward<T>(in Conv2dShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> weight,
            ReadOnlySpan<T> dy, Span<T> dx, Span<T> dweight, Span<T> dbias) where T : unmanaged, IFloatingPoint<T>
        {
            Validate(s, x.Length, weight.Length, dbias.Length, dy.Length);
            Optional("dx", "(B, Cin, H, W)", dx.Length, s.XLength);
            Optional("dweight", "(Cout, Cin/G, Kh, Kw)", dweight.Length, s.WeightLength);
            int ho = s.OutHeight, wo = s.OutWidth, cig = s.InPerGroup, cog = s.OutPerGroup;
            var gx = new double[dx.Length];
            var gw = new double[dweight.Length];
            var gb = new double[dbias.Length];
            for (int b = 0; b < s.Batch; b++)
            for (int o = 0; o < s.OutChannels; o++)
            for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
            {
                double g0 = double.CreateTruncating(dy[((b * s.OutChannels + o) * ho + i) * wo + j]);
                if (gb.Length > 0) gb[o] += g0;
                int g = o / cog;
                for (int c = 0; c < cig; c++)
                for (int u = 0; u < s.KernelH; u++)
                for (int v = 0; v < s.KernelW; v++)
                {
                    int r = i * s.StrideH + u * s.DilationH - s.PadH, q = j * s.StrideW + v * s.DilationW - s.PadW;
                    if (r < 0 || r >= s.Height || q < 0 || q >= s.Width) continue;
                    int wi = ((o * cig + c) * s.KernelH + u) * s.KernelW + v, xi = XIndex(s, b, g * cig + c, r, q);
                    if (gx.Length > 0) gx[xi] += g0 * double.CreateTruncating(weight[wi]);
                    if (gw.Length > 0) gw[wi] += g0 * double.CreateTruncating(x[xi]);
                }
            }
            for (int i = 0; i < gx.Length; i++) dx[i] = T.CreateTruncating(gx[i]);
            for (int i = 0; i < gw.Length; i++) dweight[i] = T.CreateTruncating(gw[i]);
            for (int i = 0; i < gb.Length; i++) dbias[i] = T.CreateTruncating(gb[i]);
        }

        private static int XIndex(in Conv2dShape s, int b, int c, int r, int q) =>
            ((b * s.InChannels + c) * s.Height + r) * s.Width + q;
    }
}
