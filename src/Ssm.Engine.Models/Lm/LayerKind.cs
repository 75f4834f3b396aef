namespace Ssm.Engine.Models.Lm;

/// <summary>The sequence mixer of one layer.</summary>
public enum LayerKind
{
    /// <summary>Mamba-1 selective SSM (mamba_ssm <c>Mamba</c>).</summary>
    Mamba1,
    /// <summary>Mamba-2 SSD (mamba_ssm <c>Mamba2</c>).</summary>
    Mamba2,
    /// <summary>Causal multi-head attention with grouped KV heads (mamba_ssm <c>MHA</c>).</summary>
    Attention,
}
