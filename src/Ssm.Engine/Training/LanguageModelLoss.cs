using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training.Tasks;

namespace Ssm.Engine.Training;

/// <summary>Losses for token models trained on <see cref="TokenBatch"/>es.</summary>
public static class LanguageModelLoss
{
    /// <summary>Mean cross-entropy of logits (B, L, V) over the batch's masked positions.</summary>
    public static Tensor MaskedCrossEntropy(Tensor logits, TokenBatch batch)
    {
        if (logits.Rank != 3 || logits.Shape[0] != batch.BatchSize || logits.Shape[1] != batch.Length)
            throw new ArgumentException($"[masked_cross_entropy] logits {ShapeUtil.Format(logits.Shape)} do not "
                + $"match (B, L) = ({batch.BatchSize}, {batch.Length})");
        return F.CrossEntropy(logits, batch.TargetIds(), ignoreIndex: TokenBatch.IgnoreIndex);
    }
}
