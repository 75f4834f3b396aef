using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training.Tasks;

public class SelectiveCopyingTaskTests
{
    [Fact]
    public void Sample_HasTheDocumentedLayout()
    {
        var task = new SelectiveCopyingTask();
        var batch = task.Sample(new PhiloxRandom(1, PhiloxRandom.Streams.Data), 8);
        Assert.Equal((8, 512), (batch.BatchSize, batch.Length));
        Assert.Equal(18, task.VocabSize);
        Assert.Equal(8 * 16, batch.MaskedCount);
        for (int b = 0; b < 8; b++)
        {
            var x = batch.InputRow(b);
            var region = x[..496].ToArray();
            var data = region.Where(t => t != SelectiveCopyingTask.NoiseToken).ToArray();
            Assert.Equal(16, data.Length);
            Assert.All(data, t => Assert.InRange(t, 1, 16));
            Assert.All(x[496..].ToArray(), t => Assert.Equal(task.MarkerToken, t));
            // Targets are derivable from the inputs: the region's data tokens, in order, at the marker positions.
            Assert.Equal(data, batch.TargetRow(b)[496..].ToArray());
            Assert.All(batch.TargetRow(b)[..496].ToArray(), t => Assert.Equal(TokenBatch.IgnoreIndex, t));
            Assert.Equal(Enumerable.Repeat((byte)0, 496).Concat(Enumerable.Repeat((byte)1, 16)),
                batch.MaskRow(b).ToArray());
        }
    }

    [Fact]
    public void Sample_IsDeterministicFromTheSeed_AndVariesAcrossRows()
    {
        var task = new SelectiveCopyingTask(new SelectiveCopyingOptions { SequenceLength = 64, NumDataTokens = 4 });
        var a = task.Sample(new PhiloxRandom(7), 4);
        var b = task.Sample(new PhiloxRandom(7), 4);
        var c = task.Sample(new PhiloxRandom(8), 4);
        Assert.Equal(a.Inputs, b.Inputs);
        Assert.Equal(a.Targets, b.Targets);
        Assert.NotEqual(a.Inputs, c.Inputs);
        Assert.NotEqual(a.InputRow(0).ToArray(), a.InputRow(1).ToArray());
    }

    [Fact]
    public void Sample_PlacesDataUniformlyOverTheRegion()
    {
        var task = new SelectiveCopyingTask(new SelectiveCopyingOptions { SequenceLength = 20, NumDataTokens = 4 });
        var batch = task.Sample(new PhiloxRandom(3), 2000);
        var counts = new int[16];
        for (int b = 0; b < batch.BatchSize; b++)
            for (int i = 0; i < 16; i++)
                if (batch.InputRow(b)[i] != 0) counts[i]++;
        Assert.All(counts, c => Assert.InRange(c, 500 - 90, 500 + 90)); // 2000 · 4/16 each, sd ≈ 19
    }

    [Fact]
    public void Tensors_HaveBatchShapes()
    {
        var batch = new SelectiveCopyingTask(new SelectiveCopyingOptions { SequenceLength = 10, NumDataTokens = 2 })
            .Sample(new PhiloxRandom(1), 3);
        Assert.Equal([3, 10], batch.InputIds().Shape);
        Assert.Equal([3, 10], batch.TargetIds().Shape);
        Assert.Equal(6.0, batch.LossMask().ToDoubleArray().Sum());
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Throws<ArgumentException>(() => new SelectiveCopyingTask(new SelectiveCopyingOptions
        {
            SequenceLength = 7, NumDataTokens = 4,
        }));
    }
}
