using Ssm.Engine.Models.Nn;
using Ssm.Engine.Tensors;
using Ssm.Engine.Ops;

namespace Ssm.Engine.Models.Vision;

/// <summary>VMamba's <c>VSSBlock</c> on channel-last x (B, H, W, C): x = x + SS2D(LN(x)); with an MLP
/// (mlp_ratio &gt; 0) also x = x + MLP(LN(x)). Parameters: <c>norm.*</c>, <c>op.*</c> (<see cref="Ss2d"/>),
/// <c>norm2.*</c>, <c>mlp.*</c>.</summary>
public sealed class VssBlock : Module
{
    /// <summary>A block of width <paramref name="dim"/>; <paramref name="mlpRatio"/> 0 leaves the MLP out.</summary>
    public VssBlock(int dim, int dState, double ssmRatio, int dConv, bool convBias, Ss2dForwardType type,
        double mlpRatio, Init init)
    {
        Norm = RegisterModule("norm", new LayerNorm(dim));
        Op = RegisterModule("op", new Ss2d(dim, dState, ssmRatio, dConv, convBias, type, init));
        if (mlpRatio > 0)
        {
            Norm2 = RegisterModule("norm2", new LayerNorm(dim));
            Mlp = RegisterModule("mlp", new Mlp(dim, (int)(dim * mlpRatio), init));
        }
    }

    /// <summary>Pre-norm of the mixer.</summary>
    public LayerNorm Norm { get; }

    /// <summary>The SS2D mixer.</summary>
    public Ss2d Op { get; }

    /// <summary>Pre-norm of the MLP (null without MLP).</summary>
    public LayerNorm? Norm2 { get; }

    /// <summary>The MLP (null without MLP).</summary>
    public Mlp? Mlp { get; }

    /// <summary>x: (B, H, W, C) → (B, H, W, C).</summary>
    public Tensor Forward(Tensor x)
    {
        x = F.Add(x, Op.Forward(Norm.Forward(x)));
        if (Mlp is not null) x = F.Add(x, Mlp.Forward(Norm2!.Forward(x)));
        return x;
    }
}
