using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public class LrScheduleTests
{
    [Theory]
    [InlineData(0, 1e-4)]        // warmup: peak·1/10
    [InlineData(4, 5e-4)]
    [InlineData(9, 1e-3)]        // last warmup step reaches the peak
    [InlineData(10, 1e-3)]       // cosine starts at the peak
    [InlineData(35, 5.5e-4)]     // halfway: (peak + min) / 2
    [InlineData(59, 1.008879722072778e-4)]
    [InlineData(60, 1e-4)]       // the floor at T
    [InlineData(1000, 1e-4)]     // and after
    public void WarmupCosine_HasKnownValues(long step, double expected)
    {
        var s = new WarmupCosineSchedule(1e-3, warmupSteps: 10, totalSteps: 60, minLearningRate: 1e-4);
        Assert.Equal(expected, s.At(step), 1e-15);
    }

    [Fact]
    public void WarmupCosine_WithoutWarmup_StartsAtPeakAndDecreases()
    {
        var s = new WarmupCosineSchedule(2.0, 0, 100);
        Assert.Equal(2.0, s.At(0));
        for (int i = 1; i <= 100; i++) Assert.True(s.At(i) <= s.At(i - 1));
        Assert.Equal(0.0, s.At(100));
    }

    [Theory]
    [InlineData(0, 0.25)]
    [InlineData(3, 1.0)]
    [InlineData(50, 1.0)]
    public void Constant_WithWarmup_HasKnownValues(long step, double expected)
    {
        Assert.Equal(expected, new ConstantSchedule(1.0, warmupSteps: 4).At(step), 1e-15);
    }

    [Fact]
    public void Schedules_RejectInvalidSettings()
    {
        Assert.Throws<ArgumentException>(() => new WarmupCosineSchedule(1, 10, 5));
        Assert.Throws<ArgumentException>(() => new WarmupCosineSchedule(1, 0, 5, minLearningRate: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(1).At(-1));
    }
}
