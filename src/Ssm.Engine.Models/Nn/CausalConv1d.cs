using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>Depthwise causal conv1d with optional SiLU, weight (C, 1, K) as in PyTorch checkpoints. The
/// decode cache holds the last K raw inputs (B, C, K), oldest first, zero-padded on the left.</summary>
public sealed class CausalConv1d : Module
{
    /// <summary>A conv over <paramref name="channels"/> channels of width <paramref name="width"/>.</summary>
    public CausalConv1d(int channels, int width, bool bias, Init init)
    {
        Channels = channels;
        Width = width;
        RegisterParameter("weight", init.FanIn(width, channels, 1, width));
        if (bias) RegisterParameter("bias", init.FanIn(width, channels));
    }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>K.</summary>
    public int Width { get; }

    /// <summary>weight: (C, 1, K).</summary>
    public Tensor Weight => Param("weight");

    /// <summary>bias: (C) or null.</summary>
    public Tensor? Bias => HasParam("bias") ? Param("bias") : null;

    /// <summary>x: (B, C, L) → silu?(conv(x)); with a cache (B, C, K) the conv continues from it and returns
    /// the updated cache (the last K raw inputs).</summary>
    public (Tensor Y, Tensor NewCache) Forward(Tensor x, Tensor? cache, bool silu = true)
    {
        int b = x.Shape[0], l = x.Shape[2];
        Tensor? init = cache?.Narrow(2, 1, Width - 1);
        var (y, _) = F.CausalConv1d(x, Weight, Bias, silu, init);
        var prev = cache ?? Tensor.Zeros(x.Device, b, Channels, Width);
        var all = F.Concat([prev, x], 2);
        return (y, all.Narrow(2, l, Width).Contiguous());
    }

    /// <summary>One token x: (B, C) with cache (B, C, K) → (y (B, C), new cache).</summary>
    public (Tensor Y, Tensor NewCache) Step(Tensor x, Tensor cache, bool silu = true)
    {
        var (y, next) = Forward(x.Unsqueeze(-1), cache, silu);
        return (y.Squeeze(-1), next);
    }
}
