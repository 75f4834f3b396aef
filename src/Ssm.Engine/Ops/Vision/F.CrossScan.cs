// VMamba cross-scan / cross-merge (csm_triton.py, scans = 0). Grid H × W, L = H·W, position p = h·W + w.
//   p_0(l) = l                        row-major
//   p_1(l) = (l mod H)·W + ⌊l / H⌋    column-major
//   p_2(l) = L−1−l                    row-major reversed
//   p_3(l) = p_1(L−1−l)               column-major reversed
//   cross_scan:  y[b,k,c,l] = x[b,c,p_k(l)]          x: (B, C, H, W) | (B, H, W, C)   y: (B, 4, C, L) | (B, L, 4, C)
//   cross_merge: out[b,c,p] = Σ_k y[b,k,c,p_k⁻¹(p)]  (the adjoint)                       out: (B, C, L) | (B, L, C)
// Each is the other's backward. Layout flags: "image" = x / merge output side, "scan" = the 4-direction side.
using System.Numerics;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>VMamba 4-direction cross-scan: x (B, C, H, W) when <paramref name="imageChannelFirst"/> else
    /// (B, H, W, C) → (B, 4, C, H·W) when <paramref name="scanChannelFirst"/> else (B, H·W, 4, C). Directions:
    /// row-major, column-major, and both reversed. Backward is <see cref="CrossMerge"/>.</summary>
    public static Tensor CrossScan(Tensor x, bool imageChannelFirst = true, bool scanChannelFirst = true)
    {
        if (x.Rank != 4) throw new ArgumentException($"[cross_scan] x {ShapeUtil.Format(x.Shape)} must be rank 4");
        int b = x.Shape[0], c = imageChannelFirst ? x.Shape[1] : x.Shape[3];
        int h = imageChannelFirst ? x.Shape[2] : x.Shape[1], w = imageChannelFirst ? x.Shape[3] : x.Shape[2];
        Tensor y;
        if (x.Device.IsGpu()) y = DeviceOps.CrossScan(x, b, c, h, w, imageChannelFirst, scanChannelFirst);
        else
        {
            y = Tensor.Zeros(scanChannelFirst ? [b, 4, c, h * w] : [b, h * w, 4, c], x.DType);
            CrossCopy(x.Materialize(), y, b, c, h, w, imageChannelFirst, scanChannelFirst, merge: false);
        }
        return Tape.Record(y, "cross_scan", [x], g =>
        {
            var m = CrossMerge(g, h, w, imageChannelFirst, scanChannelFirst);
            return [m.Reshape(x.Shape)];
        });
    }

    /// <summary>VMamba cross-merge, the adjoint of <see cref="CrossScan"/>: y (B, 4, C, L) when
    /// <paramref name="scanChannelFirst"/> else (B, L, 4, C), L = <paramref name="height"/>·<paramref
    /// name="width"/> (a 5-D (B, 4, C, H, W) / (B, H, W, 4, C) input is flattened first) → (B, C, L) when
    /// <paramref name="imageChannelFirst"/> else (B, L, C); out[p] sums the four directions' elements that
    /// were read from position p.</summary>
    public static Tensor CrossMerge(Tensor y, int height, int width, bool imageChannelFirst = true,
        bool scanChannelFirst = true)
    {
        if (y.Rank == 5)
            y = scanChannelFirst ? y.Reshape(y.Shape[0], y.Shape[1], y.Shape[2], -1)
                : y.Reshape(y.Shape[0], -1, y.Shape[3], y.Shape[4]);
        int l = height * width;
        bool ok = y.Rank == 4 && (scanChannelFirst ? y.Shape[1] == 4 && y.Shape[3] == l
            : y.Shape[1] == l && y.Shape[2] == 4);
        if (!ok) throw new ArgumentException($"[cross_merge] y {ShapeUtil.Format(y.Shape)} is not " +
            (scanChannelFirst ? "(B, 4, C, L)" : "(B, L, 4, C)") + $" with L = {height}·{width}");
        int b = y.Shape[0], c = scanChannelFirst ? y.Shape[2] : y.Shape[3];
        Tensor o;
        if (y.Device.IsGpu()) o = DeviceOps.CrossMerge(y, b, c, height, width, imageChannelFirst, scanChannelFirst);
        else
        {
            o = Tensor.Zeros(imageChannelFirst ? [b, c, l] : [b, l, c], y.DType);
            CrossCopy(o, y.Materialize(), b, c, height, width, imageChannelFirst, scanChannelFirst, merge: true);
        }
        int[] ys = y.Shape;
        return Tape.Record(o, "cross_merge", [y], g =>
        {
            var grid = imageChannelFirst ? g.Reshape(b, c, height, width) : g.Reshape(b, height, width, c);
            return [CrossScan(grid, imageChannelFirst, scanChannelFirst).Reshape(ys)];
        });
    }

    /// <summary>Scan: y ← x gathered through p_k; merge: x ← Σ_k y scattered back (x overwritten). Both tensors
    /// contiguous; the grid side is x.</summary>
    private static void CrossCopy(Tensor x, Tensor y, int b, int c, int h, int w, bool imageCf, bool scanCf,
        bool merge)
    {
        if (x.DType == DType.Float32) CrossCopy<float>(x, y, b, c, h, w, imageCf, scanCf, merge);
        else if (x.DType == DType.Float64) CrossCopy<double>(x, y, b, c, h, w, imageCf, scanCf, merge);
        else throw new ArgumentException($"[cross_scan] dtype {x.DType} is not supported (Float32, Float64)");
    }

    private static void CrossCopy<T>(Tensor x, Tensor y, int b, int c, int h, int w, bool imageCf, bool scanCf,
        bool merge) where T : unmanaged, INumber<T>
    {
        int l = h * w;
        T[] xs = x.Data<T>(), ys = y.Data<T>();
        int xo = x.Offset, yo = y.Offset;
        // strides: image (b, c, p); scan (b, k, c, l)
        int xB = c * l, xC = imageCf ? l : 1, xP = imageCf ? 1 : c;
        int yB = 4 * c * l, yK = scanCf ? c * l : c, yC = scanCf ? l : 1, yL = scanCf ? 1 : 4 * c;
        Par.Rows(b, 4 * c * l, (b0, b1) =>
        {
            for (int bi = b0; bi < b1; bi++)
            {
                if (merge) xs.AsSpan(xo + bi * xB, xB).Clear();
                for (int k = 0; k < 4; k++)
                for (int s = 0; s < l; s++)
                {
                    int t = k >= 2 ? l - 1 - s : s;
                    int p = (k & 1) == 0 ? t : t % h * w + t / h;
                    int xi = xo + bi * xB + p * xP, yi = yo + bi * yB + k * yK + s * yL;
                    if (merge) for (int ci = 0; ci < c; ci++) xs[xi + ci * xC] += ys[yi + ci * yC];
                    else for (int ci = 0; ci < c; ci++) ys[yi + ci * yC] = xs[xi + ci * xC];
                }
            }
        });
    }
}
