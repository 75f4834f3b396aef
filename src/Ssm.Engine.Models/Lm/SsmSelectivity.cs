namespace Ssm.Engine.Models.Lm;

/// <summary>Whether the Mamba-1 SSM parameters Δ, B, C depend on the input.</summary>
public enum SsmSelectivity
{
    /// <summary>Δ, B, C are projected from the input by <c>x_proj</c> / <c>dt_proj</c> (Mamba).</summary>
    Selective,
    /// <summary>Linear time-invariant ablation: a learned per-channel Δ (<c>dt_bias</c>, softplus) and learned
    /// per-state <c>B</c> and <c>C</c> vectors (N) replace the projections.</summary>
    Lti,
}
