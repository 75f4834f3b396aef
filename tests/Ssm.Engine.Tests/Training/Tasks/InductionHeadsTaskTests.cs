using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training.Tasks;

public class InductionHeadsTaskTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Sample_TargetIsTheTokenAfterTheFirstTrigger(int length)
    {
        var task = new InductionHeadsTask();
        var batch = task.Sample(new PhiloxRandom(5, PhiloxRandom.Streams.Data), 16, length);
        Assert.Equal(17, task.VocabSize);
        Assert.Equal(16, batch.MaskedCount);
        for (int b = 0; b < 16; b++)
        {
            var x = batch.InputRow(b).ToArray();
            Assert.Equal(length, x.Length);
            var triggers = Enumerable.Range(0, length).Where(i => x[i] == task.TriggerToken).ToArray();
            Assert.Equal(2, triggers.Length);
            Assert.Equal(length - 1, triggers[1]);
            Assert.True(triggers[0] <= length - 3);
            Assert.Equal(x[triggers[0] + 1], batch.TargetRow(b)[length - 1]);
            Assert.InRange(batch.TargetRow(b)[length - 1], 0, 15);
            Assert.Equal(1, batch.MaskRow(b)[length - 1]);
            Assert.Equal(1, batch.MaskRow(b).ToArray().Sum(m => m));
        }
    }

    [Fact]
    public void Sample_IsDeterministicFromTheSeed()
    {
        var task = new InductionHeadsTask();
        Assert.Equal(task.Sample(new PhiloxRandom(9), 4).Inputs, task.Sample(new PhiloxRandom(9), 4).Inputs);
        Assert.NotEqual(task.Sample(new PhiloxRandom(9), 4).Inputs, task.Sample(new PhiloxRandom(10), 4).Inputs);
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

    [Fact]
    public void Options_AreValidated()
    {
        var tooShort = new InductionHeadsOptions { SequenceLength = 2 };
        Assert.Throws<ArgumentException>(() => new InductionHeadsTask(tooShort));
        Assert.Throws<ArgumentException>(() => new InductionHeadsTask().Sample(new PhiloxRandom(1), 1, 2));
    }
}
