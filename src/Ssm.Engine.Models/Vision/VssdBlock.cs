using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>VSSD's <c>VMAMBA2Block</c> on channel-last x (B, H, W, C): x += cpe1(x) (depthwise 3×3);
/// x = x + attn(norm1(x)) (<see cref="VssdMixer"/>); x += cpe2(x); x = x + mlp(norm2(x)). Parameters:
/// <c>cpe1.*</c>, <c>norm1.*</c>, <c>attn.*</c>, <c>cpe2.*</c>, <c>norm2.*</c>, <c>mlp.*</c>.</summary>
public sealed class VssdBlock : Module
{
    /// <summary>A block of width <paramref name="dim"/> with <paramref name="heads"/> heads (headdim =
    /// expand·dim / heads) and an MLP of ratio <paramref name="mlpRatio"/> (0 = none).</summary>
    public VssdBlock(int dim, int heads, int dState, int expand, double mlpRatio, Init init)
    {
        RegisterParameter("cpe1.weight", init.FanIn(9, dim, 1, 3, 3));
        RegisterParameter("cpe1.bias", init.FanIn(9, dim));
        Norm1 = RegisterModule("norm1", new LayerNorm(dim));
        Attn = RegisterModule("attn", new VssdMixer(dim, dState, expand, expand * dim / heads, 1, 3, true, init));
        RegisterParameter("cpe2.weight", init.FanIn(9, dim, 1, 3, 3));
        RegisterParameter("cpe2.bias", init.FanIn(9, dim));
        if (mlpRatio > 0)
        {
            Norm2 = RegisterModule("norm2", new LayerNorm(dim));
            Mlp = RegisterModule("mlp", new Mlp(dim, (int)(dim * mlpRatio), init));
        }
    }

    /// <summary>Pre-norm of the mixer.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The non-causal SSD mixer.</summary>
    public VssdMixer Attn { get; }

    /// <summary>Pre-norm of the MLP (null without MLP).</summary>
    public LayerNorm? Norm2 { get; }

    /// <summary>The MLP (null without MLP).</summary>
    public Mlp? Mlp { get; }

    /// <summary>x: (B, H, W, C) → (B, H, W, C).</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"[vssd_block] x {ShapeUtil.Format(x.Shape)} must be (B, H, W, C)");
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        x = F.Add(x, Cpe(x, "cpe1"));
        var t = Attn.Forward(Norm1.Forward(x).Reshape(b, h * w, c), h, w).Reshape(b, h, w, c);
        x = F.Add(x, t);
        x = F.Add(x, Cpe(x, "cpe2"));
        if (Mlp is not null) x = F.Add(x, Mlp.Forward(Norm2!.Forward(x)));
        return x;
    }

    private Tensor Cpe(Tensor x, string name) =>
        F.DepthwiseConv2d(x.Permute(0, 3, 1, 2).Contiguous(), Param(name + ".weight"), Param(name + ".bias"), 1)
            .Permute(0, 2, 3, 1);                                                  // (B, H, W, C)
}
