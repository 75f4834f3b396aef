// 2-D convolution (PyTorch Conv2d: cross-correlation, zero padding, groups).
//   x: (B, Cin, H, W)   weight: (Cout, Cin/G, Kh, Kw)   bias: (Cout,)   y: (B, Cout, Ho, Wo)
//   Ho = (H + 2·padH − dilH·(Kh − 1) − 1) / strideH + 1   (same for Wo)
//   y[b,o,i,j] = bias[o] + Σ_{c<Cin/G, u<Kh, v<Kw} weight[o,c,u,v]
//                          · x[b, g·Cin/G + c, i·sH + u·dH − pH, j·sW + v·dW − pW]
//   with g = o / (Cout/G) the group of output channel o; x outside the image reads 0.
// Depthwise conv is G = Cin = Cout (weight (C, 1, Kh, Kw)).
namespace Ssm.Engine.Kernels.Conv2d;

/// <summary>Sizes and options of a 2-D convolution: batch B, input channels Cin, image H × W, output channels
/// Cout, kernel Kh × Kw, per-axis stride, zero padding and dilation, and channel groups.</summary>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int KernelH, int KernelW)
{
    /// <summary>Vertical stride (≥ 1).</summary>
    public int StrideH { get; init; } = 1;

    /// <summary>Horizontal stride (≥ 1).</summary>
    public int StrideW { get; init; } = 1;

    /// <summary>Zero padding above and below (≥ 0).</summary>
    public int PadH { get; init; }

    /// <summary>Zero padding left and right (≥ 0).</summary>
    public int PadW { get; init; }

    /// <summary>Vertical dilation of the kernel taps (≥ 1).</summary>
    public int DilationH { get; init; } = 1;

    /// <summary>Horizontal dilation of the kernel taps (≥ 1).</summary>
    public int DilationW { get; init; } = 1;

    /// <summary>Channel groups; Cin and Cout must be multiples of it.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Output height Ho.</summary>
    public int OutHeight => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;

    /// <summary>Output width Wo.</summary>
    public int OutWidth => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;

    /// <summary>Input channels per group.</summary>
    public int InPerGroup => InChannels / Groups;

    /// <summary>Output channels per group.</summary>
    public int OutPerGroup => OutChannels / Groups;

    /// <summary>True for a depthwise convolution (one input and one output channel per group).</summary>
    public bool IsDepthwise => Groups == InChannels && Groups == OutChannels;

    /// <summary>Elements of x.</summary>
    public long XLength => (long)Batch * InChannels * Height * Width;

    /// <summary>Elements of weight.</summary>
    public long WeightLength => (long)OutChannels * InPerGroup * KernelH * KernelW;

    /// <summary>Elements of y.</summary>
    public long YLength => (long)Batch * OutChannels * OutHeight * OutWidth;
}

/// <summary>2-D convolution forward and backward (input, weight, bias): <see cref="Reference"/> loops and the
/// <see cref="Cpu"/> path (im2col + GEMM for dense groups, direct vector loops for depthwise).
/// Optional tensors (bias and the gradients not wanted) are passed as empty spans.</summary>
public static partial class Conv2d
{
    /// <summary>Checks sizes and options; <paramref name="bias"/> may be 0 (no bias).</summary>
    public static void Validate(in Conv2dShape s, int x, int weight, int bias, int y)
    {
        if (s.Batch < 0 || s.InChannels < 1 || s.Height < 1 || s.Width < 1 || s.OutChannels < 1
            || s.KernelH < 1 || s.KernelW < 1)
            throw new ArgumentException($"[conv2d] invalid shape B={s.Batch} Cin={s.InChannels} H={s.Height} " +
                $"W={s.Width} Cout={s.OutChannels} K={s.KernelH}x{s.KernelW}");
        if (s.StrideH < 1 || s.StrideW < 1 || s.DilationH < 1 || s.DilationW < 1 || s.PadH < 0 || s.PadW < 0)
            throw new ArgumentException($"[conv2d] invalid stride ({s.StrideH}, {s.StrideW}), padding " +
                $"({s.PadH}, {s.PadW}) or dilation ({s.DilationH}, {s.DilationW})");
        if (s.Groups < 1 || s.InChannels % s.Groups != 0 || s.OutChannels % s.Groups != 0)
            throw new ArgumentException(
                $"[conv2d] groups {s.Groups} must divide Cin={s.InChannels} and Cout={s.OutChannels}");
        if (s.OutHeight < 1 || s.OutWidth < 1)
            throw new ArgumentException($"[conv2d] kernel {s.KernelH}x{s.KernelW} (dilation {s.DilationH}, " +
                $"{s.DilationW}) does not fit the padded {s.Height}x{s.Width} image");
        Need("x", "(B, Cin, H, W)", x, s.XLength);
        Need("weight", "(Cout, Cin/G, Kh, Kw)", weight, s.WeightLength);
        if (bias != 0) Need("bias", "(Cout,)", bias, s.OutChannels);
        Need("y", "(B, Cout, Ho, Wo)", y, s.YLength);
    }

    private static void Need(string name, string dims, int length, long expected)
    {
        if (length != expected)
            throw new ArgumentException($"[conv2d] {name} {dims} holds {length} values, expected {expected}");
    }

    /// <summary>Checks an optional gradient buffer: empty (not wanted) or exactly <paramref name="expected"/>
    /// long.</summary>
    internal static void Optional(string name, string dims, int length, long expected)
    {
        if (length != 0) Need(name, dims, length, expected);
    }

    /// <summary>Output positions j in [lo, hi) whose input column j·stride + tap·dil − pad falls inside
    /// [0, size).</summary>
    internal static (int Lo, int Hi) ValidRange(int tap, int dil, int pad, int stride, int size, int outSize)
    {
        int shift = tap * dil - pad;                      // input = j·stride + shift
        int lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = size - 1 - shift;                      // j·stride ≤ last
        int hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        return (Math.Min(lo, hi), hi);
    }
}
