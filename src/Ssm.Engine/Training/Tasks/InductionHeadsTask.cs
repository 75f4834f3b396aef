namespace Ssm.Engine.Training.Tasks;

/// <summary>Settings of the induction-heads task (Mamba paper §4.1.2).</summary>
public sealed record InductionHeadsOptions
{
    /// <summary>Training sequence length (evaluation may use any length ≥ 3).</summary>
    public int SequenceLength { get; init; } = 256;
    /// <summary>Distinct data token values (V, ids 0..V−1).</summary>
    public int DataVocabSize { get; init; } = 16;
}

/// <summary>Induction heads: a sequence of random data tokens (ids 0..V−1) holds the trigger token (id V) exactly
/// twice: once at a random position p ≤ L − 3, followed by the answer token at p + 1, and again at the last
/// position. At the last position the model must output the answer (the token that followed the trigger's
/// earlier occurrence); the loss mask covers only that position. Vocabulary size V + 1.</summary>
public sealed class InductionHeadsTask
{
    /// <summary>Task settings.</summary>
    public InductionHeadsOptions Options { get; }

    /// <summary>A task; requires V ≥ 1 and L ≥ 3.</summary>
    public InductionHeadsTask(InductionHeadsOptions? options = null)
    {
        Options = options ?? new();
        if (Options.DataVocabSize < 1) throw new ArgumentException(
            $"[induction_heads] data vocabulary {Options.DataVocabSize} < 1");
        CheckLength(Options.SequenceLength);
    }

    /// <summary>The trigger token id (V).</summary>
    public int TriggerToken => Options.DataVocabSize;

    /// <summary>Model vocabulary size (V + 1).</summary>
    public int VocabSize => Options.DataVocabSize + 1;

    /// <summary>Draws <paramref name="batchSize"/> sequences of the training length.</summary>
    public TokenBatch Sample(PhiloxRandom rng, int batchSize) => Sample(rng, batchSize, Options.SequenceLength);

    /// <summary>Draws <paramref name="batchSize"/> sequences of length <paramref name="length"/> (e.g. longer
    /// than the training length to test extrapolation).</summary>
    public TokenBatch Sample(PhiloxRandom rng, int batchSize, int length)
    {
        CheckLength(length);
        if (batchSize < 1) throw new ArgumentException($"[induction_heads] batch size {batchSize} < 1");
        int v = Options.DataVocabSize;
        var inputs = new int[checked(batchSize * length)];
        var targets = new int[inputs.Length];
        var mask = new byte[inputs.Length];
        Array.Fill(targets, TokenBatch.IgnoreIndex);
        for (int b = 0; b < batchSize; b++)
        {
            int row = b * length;
            for (int i = 0; i < length; i++) inputs[row + i] = rng.NextInt(0, v);
            int p = rng.NextInt(0, length - 2);
            inputs[row + p] = TriggerToken;
            inputs[row + length - 1] = TriggerToken;
            targets[row + length - 1] = inputs[row + p + 1];
            mask[row + length - 1] = 1;
        }
        return new TokenBatch(batchSize, length, inputs, targets, mask);
    }

    private static void CheckLength(int length)
    {
        if (length < 3) throw new ArgumentException($"[induction_heads] sequence length {length} < 3");
    }
}
