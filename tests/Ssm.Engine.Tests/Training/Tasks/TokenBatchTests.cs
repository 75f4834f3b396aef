using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training.Tasks;

public class TokenBatchTests
{
    [Fact]
    public void Slice_TakesTheSamePositionsOfEveryRow()
    {
        // Row b, position t holds 10·b + t in every array (mask: t odd).
        int[] ids = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14];
        var batch = new TokenBatch(2, 5, ids, ids.Select(v => -v).ToArray(),
            ids.Select(v => (byte)(v % 2)).ToArray());
        var s = batch.Slice(1, 3);
        Assert.Equal((2, 3), (s.BatchSize, s.Length));
        Assert.Equal([1, 2, 3, 11, 12, 13], s.Inputs);
        Assert.Equal([-1, -2, -3, -11, -12, -13], s.Targets);
        Assert.Equal(new byte[] { 1, 0, 1, 1, 0, 1 }, s.Mask);
        s.Inputs[0] = 99;
        Assert.Equal(1, batch.Inputs[1]);                     // a copy, not a view
        Assert.Throws<ArgumentException>(() => batch.Slice(3, 3));
        Assert.Throws<ArgumentException>(() => batch.Slice(-1, 2));
        Assert.Throws<ArgumentException>(() => batch.Slice(0, 0));
    }
}
