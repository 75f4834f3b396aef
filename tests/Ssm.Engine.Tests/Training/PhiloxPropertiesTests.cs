using FsCheck.Fluent;
using Ssm.Engine.Testing;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public class PhiloxPropertiesTests
{
    [Fact]
    public void RestoreAtAnyPosition_ContinuesIdentically()
    {
        var gen = from seed in Gen.Choose(0, int.MaxValue)
                  from stream in Gen.Choose(0, 5)
                  from skip in Gen.Choose(0, 37)
                  select (seed, stream, skip);
        TensorGen.ForAll(gen, v =>
        {
            var a = new PhiloxRandom((ulong)v.seed * 2654435761UL, (ulong)v.stream);
            for (int i = 0; i < v.skip; i++) a.NextUInt32();
            var b = new PhiloxRandom(a.State);
            for (int i = 0; i < 20; i++) Assert.Equal(a.NextUInt32(), b.NextUInt32());
        }, seed: 7, count: 100);
    }

    [Fact]
    public void NextInt_StaysInAnyRange()
    {
        var gen = from low in Gen.Choose(-1000, 1000)
                  from width in Gen.Choose(1, 5000)
                  from seed in TensorGen.Seed()
                  select (low, width, seed);
        TensorGen.ForAll(gen, v =>
        {
            var rng = new PhiloxRandom((ulong)v.seed);
            int high = v.low + v.width;
            for (int i = 0; i < 50; i++) Assert.InRange(rng.NextInt(v.low, high), v.low, high - 1);
        }, seed: 8, count: 100);
    }

    [Fact]
    public void SelectiveCopying_TargetsFollowFromInputs_ForAnySettings()
    {
        var gen = from m in Gen.Choose(1, 8)
                  from extra in Gen.Choose(0, 40)
                  from v in Gen.Choose(1, 20)
                  from seed in TensorGen.Seed()
                  select (m, l: 2 * m + extra, v, seed);
        TensorGen.ForAll(gen, c =>
        {
            var task = new SelectiveCopyingTask(new SelectiveCopyingOptions
            {
                SequenceLength = c.l, NumDataTokens = c.m, DataVocabSize = c.v,
            });
            var batch = task.Sample(new PhiloxRandom((ulong)c.seed), 3);
            for (int b = 0; b < 3; b++)
            {
                var x = batch.InputRow(b);
                var data = x[..(c.l - c.m)].ToArray().Where(t => t != 0).ToArray();
                Assert.Equal(data, batch.TargetRow(b)[(c.l - c.m)..].ToArray());
                Assert.All(data, t => Assert.InRange(t, 1, c.v));
            }
        }, seed: 9, count: 60);
    }
}
