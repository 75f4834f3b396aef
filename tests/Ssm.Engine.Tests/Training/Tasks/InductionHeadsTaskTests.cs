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
    public void Options_AreValidated()
    {
        var tooShort = new InductionHeadsOptions { SequenceLength = 2 };
        Assert.Throws<ArgumentException>(() => new InductionHeadsTask(tooShort));
        Assert.Throws<ArgumentException>(() => new InductionHeadsTask().Sample(new PhiloxRandom(1), 1, 2));
    }
}
