using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>VMamba's <c>PatchMerging2D</c> (downsample v1) on channel-last x (B, H, W, C): odd sides are
/// zero-padded at the end, then cat(x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]) (B, H/2, W/2, 4C)
/// → LayerNorm(4C) → Linear 4C → 2C without bias. Parameters: <c>reduction.weight</c>, <c>norm.*</c>.</summary>
public sealed class PatchMerging2d : Module
{
    /// <summary>A merge from <paramref name="dim"/> to <paramref name="outDim"/> (upstream 2·dim) channels.</summary>
    public PatchMerging2d(int dim, int outDim, Init init)
    {
        Reduction = RegisterModule("reduction", new Linear(4 * dim, outDim, false, init));
        Norm = RegisterModule("norm", new LayerNorm(4 * dim));
    }

    /// <summary>The 4C → 2C projection.</summary>
    public Linear Reduction { get; }

    /// <summary>The norm over the 4C concatenation.</summary>
    public LayerNorm Norm { get; }

    /// <summary>x: (B, H, W, C) → (B, ⌈H/2⌉, ⌈W/2⌉, 2C).</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"[patch_merging2d] x {ShapeUtil.Format(x.Shape)} must be (B, H, W, C)");
        int h = x.Shape[1], w = x.Shape[2];
        if (h % 2 != 0 || w % 2 != 0) x = F.Pad(x, [0, 0, 0, w % 2, 0, h % 2]);
        int he = x.Shape[1], we = x.Shape[2];
        Tensor Pick(int i, int j) => x.Slice(1, i, he, 2).Slice(2, j, we, 2);
        var cat = F.Concat([Pick(0, 0), Pick(1, 0), Pick(0, 1), Pick(1, 1)], -1);  // (B, H/2, W/2, 4C)
        return Reduction.Forward(Norm.Forward(cat));
    }
}
