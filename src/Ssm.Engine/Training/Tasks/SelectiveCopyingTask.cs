namespace Ssm.Engine.Training.Tasks;

/// <summary>Settings of the selective-copying task (Mamba paper §4.1.1).</summary>
public sealed record SelectiveCopyingOptions
{
    /// <summary>Total sequence length L: the scattered region plus one marker per data token.</summary>
    public int SequenceLength { get; init; } = 512;
    /// <summary>Data tokens to memorise per sequence (M).</summary>
    public int NumDataTokens { get; init; } = 16;
    /// <summary>Distinct data token values (V).</summary>
    public int DataVocabSize { get; init; } = 16;
}

/// <summary>Selective copying: M data tokens (ids 1..V) are scattered at random positions, in order, among noise
/// tokens (id 0) in the first L − M positions; then come M marker tokens (id V + 1). At marker position j the
/// model must output the j-th data token, so the targets follow from the inputs (the non-noise tokens of the
/// region, in order) and the loss mask covers exactly the last M positions. Vocabulary size V + 2.</summary>
public sealed class SelectiveCopyingTask
{
    /// <summary>Task settings.</summary>
    public SelectiveCopyingOptions Options { get; }

    /// <summary>A task; requires M ≥ 1, V ≥ 1 and L ≥ 2M.</summary>
    public SelectiveCopyingTask(SelectiveCopyingOptions? options = null)
    {
        Options = options ?? new();
        int l = Options.SequenceLength, m = Options.NumDataTokens;
        if (m < 1 || Options.DataVocabSize < 1 || l < 2 * m)
            throw new ArgumentException($"[selective_copying] need M >= 1, V >= 1 and L >= 2M; got M = "
                + $"{Options.NumDataTokens}, V = {Options.DataVocabSize}, L = {Options.SequenceLength}");
    }

    /// <summary>The noise (blank) token id.</summary>
    public const int NoiseToken = 0;

    /// <summary>The marker token id (V + 1).</summary>
    public int MarkerToken => Options.DataVocabSize + 1;

    /// <summary>Model vocabulary size (V + 2).</summary>
    public int VocabSize => Options.DataVocabSize + 2;

    /// <summary>Length of the scattered region (L − M).</summary>
    public int RegionLength => Options.SequenceLength - Options.NumDataTokens;

    /// <summary>Draws <paramref name="batchSize"/> sequences from <paramref name="rng"/> (deterministic for a
    /// given stream position).</summary>
    public TokenBatch Sample(PhiloxRandom rng, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"[selective_copying] batch size {batchSize} < 1");
        int l = Options.SequenceLength, m = Options.NumDataTokens, r = RegionLength;
        var inputs = new int[batchSize * l];
        var targets = new int[batchSize * l];
        var mask = new byte[batchSize * l];
        Array.Fill(targets, TokenBatch.IgnoreIndex);
        var slots = new int[r];
        for (int b = 0; b < batchSize; b++)
        {
            int row = b * l;
            for (int i = 0; i < r; i++) slots[i] = i;
            for (int i = 0; i < m; i++) // partial Fisher–Yates: the first m slots become a uniform m-subset
            {
                int j = rng.NextInt(i, r);
                (slots[i], slots[j]) = (slots[j], slots[i]);
            }
            Array.Sort(slots, 0, m);
            for (int i = 0; i < m; i++)
            {
                int token = rng.NextInt(1, Options.DataVocabSize + 1);
                inputs[row + slots[i]] = token;
                inputs[row + r + i] = MarkerToken;
                targets[row + r + i] = token;
                mask[row + r + i] = 1;
            }
        }
        return new TokenBatch(batchSize, l, inputs, targets, mask);
    }
}
