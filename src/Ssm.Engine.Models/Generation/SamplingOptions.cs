namespace Ssm.Engine.Models.Generation;

/// <summary>How tokens are chosen. Temperature 0 is greedy; the filters apply in the order repetition
/// penalty → temperature → top-k → top-p → min-p.</summary>
public sealed record SamplingOptions
{
    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 32;
    /// <summary>Softmax temperature; 0 = argmax.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set whose probability reaches P (1 = off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Drop tokens less likely than MinP × the most likely one (0 = off).</summary>
    public double MinP { get; init; }
    /// <summary>CTRL-style penalty on tokens already in the prompt or output (1 = off): positive logits are
    /// divided by it, negative ones multiplied.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Random seed (null = nondeterministic).</summary>
    public int? Seed { get; init; }
    /// <summary>Generation stops after producing one of these (the stop token is yielded).</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (MaxTokens < 0) throw new ArgumentException($"[generate] max tokens {MaxTokens} must be >= 0");
        if (!(Temperature >= 0)) throw new ArgumentException($"[generate] temperature {Temperature} must be >= 0");
        if (TopK < 0) throw new ArgumentException($"[generate] top-k {TopK} must be >= 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"[generate] top-p {TopP} must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"[generate] min-p {MinP} must be in [0, 1]");
        if (!(RepetitionPenalty > 0))
            throw new ArgumentException($"[generate] repetition penalty {RepetitionPenalty} must be > 0");
    }
}
