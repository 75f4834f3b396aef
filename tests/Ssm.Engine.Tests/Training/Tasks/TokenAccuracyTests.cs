using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training.Tasks;

public class TokenAccuracyTests
{
    /// <summary>A rule-based solver that reads the answer off the inputs (the token after the first trigger),
    /// proving the targets are derivable from the inputs and exercising the evaluation loop.</summary>
    private static Tensor Oracle(Tensor ids, int vocab, int trigger)
    {
        int b = ids.Shape[0], l = ids.Shape[1];
        var x = ids.ToArray<int>();
        var logits = new float[b * l * vocab];
        for (int r = 0; r < b; r++)
        {
            int first = Array.IndexOf(x, trigger, r * l, l);
            logits[(r * l + l - 1) * vocab + x[first + 1]] = 1;
        }
        return Tensor.FromArray(logits, b, l, vocab);
    }

    [Fact]
    public void Evaluate_OracleSolvesInductionHeadsAtAnyLength()
    {
        var task = new InductionHeadsTask();
        var rng = new PhiloxRandom(1, PhiloxRandom.Streams.Eval);
        var acc = TokenAccuracy.Evaluate(ids => Oracle(ids, task.VocabSize, task.TriggerToken),
            () => task.Sample(rng, 4, 1024), batches: 3);
        Assert.Equal(new AccuracyResult(12, 12, 12, 12), acc);
    }

    [Fact]
    public void Evaluate_ConstantGuessScoresNearChance()
    {
        var task = new InductionHeadsTask();
        var rng = new PhiloxRandom(2, PhiloxRandom.Streams.Eval);
        var acc = TokenAccuracy.Evaluate(ids => Tensor.Zeros(ids.Shape[0], ids.Shape[1], task.VocabSize),
            () => task.Sample(rng, 100, 16), batches: 4);
        Assert.Equal(400, acc.Total);
        Assert.InRange(acc.TokenAccuracy, 1.0 / 16 - 0.04, 1.0 / 16 + 0.04); // argmax picks token 0
    }

    [Fact]
    public void Accuracy_CountsOnlyMaskedPositions()
    {
        var task = new InductionHeadsTask(new InductionHeadsOptions { SequenceLength = 8, DataVocabSize = 4 });
        var batch = task.Sample(new PhiloxRandom(2), 3);
        int v = task.VocabSize;
        var logits = new float[3 * 8 * v];
        // Row 0 and 2 predict the answer at the last position; row 1 predicts a wrong token. Every unmasked
        // position predicts garbage (token 0 high), which must not count.
        for (int b = 0; b < 3; b++)
        {
            for (int t = 0; t < 8; t++) logits[(b * 8 + t) * v] = 5;
            int answer = batch.TargetRow(b)[7];
            int pick = b == 1 ? (answer + 1) % 4 : answer;
            logits[(b * 8 + 7) * v + pick] = 10;
        }
        var acc = TokenAccuracy.Evaluate(Tensor.FromArray(logits, 3, 8, v), batch);
        Assert.Equal(new AccuracyResult(2, 3, 2, 3), acc);
        Assert.Equal(2.0 / 3, acc.TokenAccuracy, 12);
        Assert.Throws<ArgumentException>(() => TokenAccuracy.Evaluate(Tensor.Zeros(3, 7, v), batch));
    }
}
