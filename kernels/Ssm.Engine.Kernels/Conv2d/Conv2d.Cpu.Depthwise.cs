// Depthwise Conv2d on the CPU (G = Cin = Cout, weight (C, 1, Kh, Kw)); see Conv2d.cs.
//   forward / dx: parallel over the B·C planes; every tap (u, v) adds w·(shifted input row segment) to an
//                 output row segment — a SIMD axpy for stride 1, a scalar gather otherwise
//   dweight:      parallel over channels C (each sums over its B planes, no shared writes)
// The spans are pinned for the duration of the call and handed to the workers as addresses (no copies).
using System.Buffers;
using System.Numerics.Tensors;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Kernels.Conv2d;

public static partial class Conv2d
{
    public static partial class Cpu
    {
        private static unsafe void DepthwiseForward(Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
            ReadOnlySpan<float> bias, Span<float> y, int threads)
        {
            int ho = s.OutHeight, wo = s.OutWidth, plane = s.Height * s.Width, oplane = ho * wo;
            int kk = s.KernelH * s.KernelW;
            bool hasBias = !bias.IsEmpty;
            fixed (float* px = x, pw = w, pb = bias, py = y)
            {
                nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ay = (nint)py;
                bool unit = s.StrideH == 1 && s.StrideW == 1;
                int bh = ho + (s.KernelH - 1) * s.DilationH, bw = wo + (s.KernelW - 1) * s.DilationW;
                RowParallel.For(s.Batch * s.InChannels, Work(s), threads, (r0, r1) =>
                {
                    var buf = unit ? ArrayPool<float>.Shared.Rent(bh * bw) : null;
                    for (int bc = r0; bc < r1; bc++)
                    {
                        int c = bc % s.InChannels;
                        var yp = new Span<float>((float*)ay + (long)bc * oplane, oplane);
                        var xp = new ReadOnlySpan<float>((float*)ax + (long)bc * plane, plane);
                        var wc = new ReadOnlySpan<float>((float*)aw + (long)c * kk, kk);
                        float b0 = hasBias ? ((float*)ab)[c] : 0f;
                        if (buf is not null)
                        {
                            Shifted(xp, s.Height, s.Width, buf, bh, bw, s.PadH, s.PadW);
                            Correlate(buf, bw, wc, s.KernelH, s.KernelW, s.DilationH, s.DilationW, yp, ho, wo, b0);
                            continue;
                        }
                        yp.Fill(b0);
                        for (int u = 0; u < s.KernelH; u++)
                        for (int v = 0; v < s.KernelW; v++)
                        {
                            float wt = wc[u * s.KernelW + v];
                            var (j0, j1) = ValidRange(v, s.DilationW, s.PadW, s.StrideW, s.Width, wo);
                            if (j0 >= j1) continue;
                            int shiftW = v * s.DilationW - s.PadW;
                            for (int i = 0; i < ho; i++)
                            {
                                int r = i * s.StrideH + u * s.DilationH - s.PadH;
                                if (r < 0 || r >= s.Height) continue;
                                var src = xp.Slice(r * s.Width);
                                var dst = yp.Slice(i * wo);
                                if (s.StrideW == 1)
                                {
                                    var d = dst[j0..j1];
                                    TensorPrimitives.MultiplyAdd(src.Slice(j0 + shiftW, j1 - j0), wt, d, d);
                                }
                                else for (int j = j0; j < j1; j++) dst[j] += wt * src[j * s.StrideW + shiftW];
                            }
                        }
                    }
                    if (buf is not null) ArrayPool<float>.Shared.Return(buf);
                });
            }
        }

        private static unsafe void DepthwiseBackward(Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
            ReadOnlySpan<float> dy, Span<float> dx, Span<float> dweight, int threads)
        {
            int wo = s.OutWidth, plane = s.Height * s.Width, oplane = s.OutHeight * wo;
            fixed (float* px = x, pw = w, pdy = dy, pdx = dx, pdw = dweight)
            {
                nint ax = (nint)px, aw = (nint)pw, ady = (nint)pdy, adx = (nint)pdx, adw = (nint)pdw;
                if (!dx.IsEmpty && s.StrideH == 1 && s.StrideW == 1) UnitStrideDx(s, ady, aw, adx, threads);
                else if (!dx.IsEmpty)
                {
                    RowParallel.For(s.Batch * s.InChannels, Work(s), threads, (r0, r1) =>
                    {
                        for (int bc = r0; bc < r1; bc++)
                        {
                            float* gp = (float*)adx + (long)bc * plane, yp = (float*)ady + (long)bc * oplane;
                            new Span<float>(gp, plane).Clear();
                            TapLoop(s, bc % s.InChannels, (wi, i, r, j0, j1, shiftW) =>
                            {
                                var yRow = new ReadOnlySpan<float>(yp + i * wo, wo);
                                var xRow = new Span<float>(gp + r * s.Width, s.Width);
                                float wt = ((float*)aw)[wi];
                                if (s.StrideW == 1)
                                {
                                    var d = xRow.Slice(j0 + shiftW, j1 - j0);
                                    TensorPrimitives.MultiplyAdd(yRow[j0..j1], wt, d, d);
                                }
                                else for (int j = j0; j < j1; j++) xRow[j * s.StrideW + shiftW] += wt * yRow[j];
                            });
                        }
                    });
                }
                if (dweight.IsEmpty) return;
                dweight.Clear();
                RowParallel.For(s.InChannels, Work(s), threads, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    for (int b = 0; b < s.Batch; b++)
                    {
                        int bc = b * s.InChannels + c;
                        float* xp = (float*)ax + (long)bc * plane, yp = (float*)ady + (long)bc * oplane;
                        TapLoop(s, c, (wi, i, r, j0, j1, shiftW) =>
                        {
                            var yRow = new ReadOnlySpan<float>(yp + i * wo, wo);
                            var xRow = new ReadOnlySpan<float>(xp + r * s.Width, s.Width);
                            float acc;
                            if (s.StrideW == 1)
                                acc = TensorPrimitives.Dot(yRow[j0..j1], xRow.Slice(j0 + shiftW, j1 - j0));
                            else
                            {
                                acc = 0;
                                for (int j = j0; j < j1; j++) acc += yRow[j] * xRow[j * s.StrideW + shiftW];
                            }
                            ((float*)adw)[wi] += acc;
                        });
                    }
                });
            }
        }

        /// <summary>Calls <paramref name="body"/>(weight index, output row i, input row r, j0, j1, column shift)
        /// for every tap of channel c and every output row whose input row is inside the image.</summary>
        private static void TapLoop(in Conv2dShape s, int c, TapBody body)
        {
            int ho = s.OutHeight, wo = s.OutWidth, kk = s.KernelH * s.KernelW;
            for (int u = 0; u < s.KernelH; u++)
            for (int v = 0; v < s.KernelW; v++)
            {
                var (j0, j1) = ValidRange(v, s.DilationW, s.PadW, s.StrideW, s.Width, wo);
                if (j0 >= j1) continue;
                int shiftW = v * s.DilationW - s.PadW, wi = c * kk + u * s.KernelW + v;
                for (int i = 0; i < ho; i++)
                {
                    int r = i * s.StrideH + u * s.DilationH - s.PadH;
                    if (r >= 0 && r < s.Height) body(wi, i, r, j0, j1, shiftW);
                }
            }
        }

        private delegate void TapBody(int weightIndex, int outRow, int inRow, int j0, int j1, int shiftW);
    }
}
