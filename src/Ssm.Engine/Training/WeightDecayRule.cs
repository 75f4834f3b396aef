using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Decides which parameters are exempt from weight decay. The default follows mamba_ssm, which marks
/// <c>A_log</c>, <c>D</c> (and Mamba-2's <c>dt_bias</c>) with <c>_no_weight_decay</c>, plus the usual
/// exemptions of its training recipes: biases, normalisation weights and embeddings.</summary>
public sealed class WeightDecayRule
{
    private readonly Func<string, Tensor, bool> _exempt;

    /// <summary>A rule from a predicate over (name, tensor) that returns true for exempt parameters.</summary>
    public WeightDecayRule(Func<string, Tensor, bool> exempt) => _exempt = exempt;

    /// <summary>True when <paramref name="name"/> gets no weight decay.</summary>
    public bool IsExempt(string name, Tensor param) => _exempt(name, param);

    /// <summary>Exempt when a dotted name segment is <c>A_log</c> or <c>D</c>, ends with <c>bias</c>
    /// (<c>bias</c>, <c>dt_bias</c>), or contains <c>norm</c> or <c>embed</c> (case-insensitive for the last
    /// two): <c>layers.3.mixer.A_log</c>, <c>norm_f.weight</c>, <c>embedding.weight</c>, <c>out_proj.bias</c>.
    /// </summary>
    public static WeightDecayRule MambaDefault { get; } = new((name, _) => IsMambaExempt(name));

    /// <summary>Every parameter is decayed.</summary>
    public static WeightDecayRule DecayAll { get; } = new((_, _) => false);

    /// <summary>The default plus exact segment names (e.g. <c>"dt_proj"</c>) given by the caller.</summary>
    public static WeightDecayRule MambaDefaultAnd(params string[] extraSegments) =>
        new((name, _) => IsMambaExempt(name) || name.Split('.').Any(s => extraSegments.Contains(s)));

    /// <summary>The predicate behind <see cref="MambaDefault"/>.</summary>
    public static bool IsMambaExempt(string name)
    {
        foreach (var seg in name.Split('.'))
        {
            if (seg is "A_log" or "D") return true;
            if (seg.EndsWith("bias", StringComparison.Ordinal)) return true;
            if (seg.Contains("norm", StringComparison.OrdinalIgnoreCase)) return true;
            if (seg.Contains("embed", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
