using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training.Tasks;

/// <summary>A batch of token sequences with per-position targets and a loss mask, row-major (B, L).
/// Targets are meaningful only where the mask is 1; elsewhere they hold <see cref="IgnoreIndex"/>, so
/// <see cref="TargetIds"/> feeds <c>F.CrossEntropy(logits, targets, ignoreIndex: TokenBatch.IgnoreIndex)</c>
/// directly.</summary>
public sealed class TokenBatch
{
    /// <summary>Target value at unmasked positions (the cross-entropy ignore index).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Creates a batch; arrays are (B·L) row-major and are not copied.</summary>
    public TokenBatch(int batchSize, int length, int[] inputs, int[] targets, byte[] mask)
    {
        int n = checked(batchSize * length);
        if (batchSize < 1 || length < 1 || inputs.Length != n || targets.Length != n || mask.Length != n)
            throw new ArgumentException($"[token_batch] arrays ({inputs.Length}, {targets.Length}, {mask.Length}) "
                + $"do not match (B, L) = ({batchSize}, {length})");
        (BatchSize, Length, Inputs, Targets, Mask) = (batchSize, length, inputs, targets, mask);
    }

    /// <summary>B.</summary>
    public int BatchSize { get; }

    /// <summary>L.</summary>
    public int Length { get; }

    /// <summary>Input token ids, (B·L).</summary>
    public int[] Inputs { get; }

    /// <summary>Target token ids, (B·L); <see cref="IgnoreIndex"/> where <see cref="Mask"/> is 0.</summary>
    public int[] Targets { get; }

    /// <summary>1 where the loss counts, else 0, (B·L).</summary>
    public byte[] Mask { get; }

    /// <summary>Number of positions with mask 1.</summary>
    public int MaskedCount => Mask.Count(m => m != 0);

    /// <summary>Input ids as an int32 tensor (B, L).</summary>
    public Tensor InputIds() => Tensor.FromArray((int[])Inputs.Clone(), BatchSize, Length);

    /// <summary>Target ids as an int32 tensor (B, L) with <see cref="IgnoreIndex"/> off the mask.</summary>
    public Tensor TargetIds() => Tensor.FromArray((int[])Targets.Clone(), BatchSize, Length);

    /// <summary>The loss mask as a float32 tensor (B, L).</summary>
    public Tensor LossMask() => Tensor.FromArray(Mask.Select(m => (float)m).ToArray(), BatchSize, Length);

    /// <summary>Input row <paramref name="b"/>.</summary>
    public ReadOnlySpan<int> InputRow(int b) => Inputs.AsSpan(b * Length, Length);

    /// <summary>Target row <paramref name="b"/>.</summary>
    public ReadOnlySpan<int> TargetRow(int b) => Targets.AsSpan(b * Length, Length);

    /// <summary>Mask row <paramref name="b"/>.</summary>
    public ReadOnlySpan<byte> MaskRow(int b) => Mask.AsSpan(b * Length, Length);

    /// <summary>Positions <paramref name="start"/> .. <paramref name="start"/> + <paramref name="length"/> − 1 of
    /// every row, as a new (B, <paramref name="length"/>) batch (copied).</summary>
    public TokenBatch Slice(int start, int length)
    {
        if (start < 0 || length < 1 || start + length > Length)
            throw new ArgumentException($"[token_batch] slice {start}..{start + length} outside length {Length}");
        int n = BatchSize * length;
        var (inputs, targets, mask) = (new int[n], new int[n], new byte[n]);
        for (int b = 0; b < BatchSize; b++)
        {
            Inputs.AsSpan(b * Length + start, length).CopyTo(inputs.AsSpan(b * length));
            Targets.AsSpan(b * Length + start, length).CopyTo(targets.AsSpan(b * length));
            Mask.AsSpan(b * Length + start, length).CopyTo(mask.AsSpan(b * length));
        }
        return new TokenBatch(BatchSize, length, inputs, targets, mask);
    }
}
