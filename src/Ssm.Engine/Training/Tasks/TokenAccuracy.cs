using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training.Tasks;

/// <summary>Accuracy over the masked positions of a batch: per token and per whole sequence (every masked
/// position right).</summary>
public readonly record struct AccuracyResult(long Correct, long Total, long SequencesCorrect, long Sequences)
{
    /// <summary>Correct / Total (NaN when nothing is masked).</summary>
    public double TokenAccuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>SequencesCorrect / Sequences.</summary>
    public double SequenceAccuracy => Sequences == 0 ? double.NaN : (double)SequencesCorrect / Sequences;

    /// <summary>Sums two results (for evaluation over several batches).</summary>
    public static AccuracyResult operator +(AccuracyResult a, AccuracyResult b) =>
        new(a.Correct + b.Correct, a.Total + b.Total, a.SequencesCorrect + b.SequencesCorrect,
            a.Sequences + b.Sequences);
}

/// <summary>Argmax-based token accuracy of logits against a <see cref="TokenBatch"/>'s masked targets.</summary>
public static class TokenAccuracy
{
    /// <summary>Accuracy of logits (B, L, V) (any floating dtype) on <paramref name="batch"/>.</summary>
    public static AccuracyResult Evaluate(Tensor logits, TokenBatch batch)
    {
        if (logits.Rank != 3 || logits.Shape[0] != batch.BatchSize || logits.Shape[1] != batch.Length)
            throw new ArgumentException($"[token_accuracy] logits {ShapeUtil.Format(logits.Shape)} do not match "
                + $"(B, L) = ({batch.BatchSize}, {batch.Length})");
        return Evaluate(logits.ToArray(), logits.Shape[2], batch);
    }

    /// <summary>Accuracy of row-major logits (B·L·V) with vocabulary <paramref name="vocab"/>.</summary>
    public static AccuracyResult Evaluate(ReadOnlySpan<float> logits, int vocab, TokenBatch batch)
    {
        if (vocab < 1 || logits.Length != (long)batch.BatchSize * batch.Length * vocab)
            throw new ArgumentException($"[token_accuracy] {logits.Length} logits do not match "
                + $"(B, L, V) = ({batch.BatchSize}, {batch.Length}, {vocab})");
        long correct = 0, total = 0, seqCorrect = 0;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            bool all = true;
            for (int t = 0; t < batch.Length; t++)
            {
                int i = b * batch.Length + t;
                if (batch.Mask[i] == 0) continue;
                total++;
                if (Argmax(logits.Slice(i * vocab, vocab)) == batch.Targets[i]) correct++;
                else all = false;
            }
            if (all) seqCorrect++;
        }
        return new AccuracyResult(correct, total, seqCorrect, batch.BatchSize);
    }

    /// <summary>Evaluates <paramref name="forward"/> (input ids (B, L) int32 → logits (B, L, V)) without
    /// recording gradients on <paramref name="batches"/> batches drawn by <paramref name="sample"/>, and sums the
    /// accuracies. Long evaluation sequences may be run through a model's recurrent step mode inside
    /// <paramref name="forward"/>.</summary>
    public static AccuracyResult Evaluate(Func<Tensor, Tensor> forward, Func<TokenBatch> sample, int batches)
    {
        if (batches < 1) throw new ArgumentException($"[token_accuracy] batches {batches} < 1");
        var total = new AccuracyResult(0, 0, 0, 0);
        using (Tape.NoGrad())
        {
            for (int i = 0; i < batches; i++)
            {
                var batch = sample();
                total += Evaluate(forward(batch.InputIds()), batch);
            }
        }
        return total;
    }

    /// <summary>Index of the largest value (the first on ties; NaN never wins).</summary>
    public static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best] || float.IsNaN(row[best])) best = i;
        return best;
    }
}
