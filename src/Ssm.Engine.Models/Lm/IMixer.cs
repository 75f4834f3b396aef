using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>A sequence mixer: the whole-sequence path and the one-token decode path share one cache.</summary>
public interface IMixer
{
    /// <summary>Which mixer this is.</summary>
    LayerKind Kind { get; }

    /// <summary>x: (B, L, D_model) → (B, L, D_model); continues from and updates <paramref name="cache"/>
    /// when given.</summary>
    Tensor Forward(Tensor x, LayerCache? cache = null);

    /// <summary>One token xt: (B, D_model) → (B, D_model), updating <paramref name="cache"/>.</summary>
    Tensor Step(Tensor xt, LayerCache cache);
}
