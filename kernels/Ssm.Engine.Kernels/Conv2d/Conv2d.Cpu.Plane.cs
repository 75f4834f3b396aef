// Stride-1 depthwise planes as a boundary-free correlation (see Conv2d.cs):
//   buf[a, b] = src[a − top, b − left] (0 outside src), size (Ho + (Kh−1)·dH) × (Wo + (Kw−1)·dW)
//   out[i, j] = Σ_{u,v} k[u, v] · buf[i + u·dH, j + v·dW]
// forward: src = x, top/left = padding, k = weight;   dx: src = dy, top/left = (K−1)·dil − padding, k = weight
// flipped in both axes. Each output vector keeps its accumulator in a register over all Kh·Kw taps.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Kernels.Conv2d;

public static partial class Conv2d
{
    public static partial class Cpu
    {
        /// <summary>Copies the (h, w) plane <paramref name="src"/> into the zero-filled (bh, bw) buffer at offset
        /// (top, left) (negative offsets crop).</summary>
        private static void Shifted(ReadOnlySpan<float> src, int h, int w, Span<float> buf, int bh, int bw, int top,
            int left)
        {
            buf[..(bh * bw)].Clear();
            int c0 = Math.Max(0, -left), c1 = Math.Min(w, bw - left);
            if (c1 <= c0) return;
            for (int r = Math.Max(0, -top); r < h && r + top < bh; r++)
                src.Slice(r * w + c0, c1 - c0).CopyTo(buf.Slice((r + top) * bw + left + c0));
        }

        /// <summary>out (ho, wo) = Σ_{u,v} k[u, v] · buf[i + u·dh, j + v·dw] (+ init), buf (ho + (kh−1)·dh) ×
        /// bw.</summary>
        private static void Correlate(ReadOnlySpan<float> buf, int bw, ReadOnlySpan<float> k, int kh, int kw, int dh,
            int dw, Span<float> output, int ho, int wo, float init)
        {
            int vn = Vector<float>.Count;
            ref float b0 = ref MemoryMarshal.GetReference(buf);
            ref float o0 = ref MemoryMarshal.GetReference(output);
            for (int i = 0; i < ho; i++)
            {
                int j = 0;
                for (; j + vn <= wo; j += vn)
                {
                    var acc = new Vector<float>(init);
                    for (int u = 0; u < kh; u++)
                    {
                        ref float row = ref Unsafe.Add(ref b0, (i + u * dh) * bw + j);
                        for (int v = 0; v < kw; v++)
                        {
                            var xv = Vector.LoadUnsafe(ref row, (nuint)(v * dw));
                            acc = Vector.FusedMultiplyAdd(xv, new Vector<float>(k[u * kw + v]), acc);
                        }
                    }
                    acc.StoreUnsafe(ref Unsafe.Add(ref o0, i * wo + j));
                }
                for (; j < wo; j++)
                {
                    float acc = init;
                    for (int u = 0; u < kh; u++)
                    for (int v = 0; v < kw; v++) acc += k[u * kw + v] * buf[(i + u * dh) * bw + j + v * dw];
                    output[i * wo + j] = acc;
                }
            }
        }

        /// <summary>dx of a stride-1 depthwise conv: each (b, c) plane correlates the shifted dy with the kernel
        /// flipped in both axes.</summary>
        private static unsafe void UnitStrideDx(Conv2dShape s, nint dy, nint w, nint dx, int threads)
        {
            int kh = s.KernelH, kw = s.KernelW, kk = kh * kw, plane = s.Height * s.Width;
            int oplane = s.OutHeight * s.OutWidth;
            int bh = s.Height + (kh - 1) * s.DilationH, bw = s.Width + (kw - 1) * s.DilationW;
            int top = (kh - 1) * s.DilationH - s.PadH, left = (kw - 1) * s.DilationW - s.PadW;
            RowParallel.For(s.Batch * s.InChannels, Work(s), threads, (r0, r1) =>
            {
                var buf = ArrayPool<float>.Shared.Rent(bh * bw);
                var flip = new float[kk];
                for (int bc = r0; bc < r1; bc++)
                {
                    var wc = new ReadOnlySpan<float>((float*)w + (long)(bc % s.InChannels) * kk, kk);
                    for (int t = 0; t < kk; t++) flip[t] = wc[kk - 1 - t];
                    var g = new ReadOnlySpan<float>((float*)dy + (long)bc * oplane, oplane);
                    Shifted(g, s.OutHeight, s.OutWidth, buf, bh, bw, top, left);
                    var o = new Span<float>((float*)dx + (long)bc * plane, plane);
                    Correlate(buf, bw, flip, kh, kw, s.DilationH, s.DilationW, o, s.Height, s.Width, 0f);
                }
                ArrayPool<float>.Shared.Return(buf);
            });
        }
    }
}
