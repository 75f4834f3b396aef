using Ssm.Engine.Models.Generation;
using Xunit;

namespace Ssm.Engine.Models.Tests.Generation;

public class SamplerTests
{
    private static readonly float[] Logits = [0.5f, 2.0f, 1.9f, -1f, 0.1f];

    [Fact]
    public void TemperatureZero_IsArgmax()
    {
        Assert.Equal(1, new Sampler(new SamplingOptions { Temperature = 0 }).Next(Logits, []));
    }

    [Theory]
    [InlineData(1, 1.0, 0.0)]
    [InlineData(0, 1e-6, 0.0)]
    [InlineData(0, 1.0, 1.0)]
    public void NarrowFilters_LeaveOnlyTheTopToken(int topK, double topP, double minP)
    {
        var s = new Sampler(new SamplingOptions { Temperature = 5, TopK = topK, TopP = topP, MinP = minP, Seed = 1 });
        for (int i = 0; i < 50; i++) Assert.Equal(1, s.Next(Logits, []));
    }

    [Fact]
    public void TopK_NeverPicksOutsideTheK()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 10, TopK = 2, Seed = 2 });
        var picks = Enumerable.Range(0, 200).Select(_ => s.Next(Logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 2 }, picks);
    }

    [Fact]
    public void RepetitionPenalty_DemotesSeenTokens()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2 });
        Assert.Equal(2, s.Next(Logits, [1]));
    }

    [Fact]
    public void SameSeed_SameSequence_AndFrequenciesFollowTheSoftmax()
    {
        float[] logits = [MathF.Log(0.7f), MathF.Log(0.2f), MathF.Log(0.1f)];
        int[] Draw(int seed)
        {
            var s = new Sampler(new SamplingOptions { Seed = seed });
            return [.. Enumerable.Range(0, 4000).Select(_ => s.Next(logits, []))];
        }
        var a = Draw(7);
        Assert.Equal(a, Draw(7));
        double[] freq = [.. Enumerable.Range(0, 3).Select(k => a.Count(t => t == k) / 4000.0)];
        Assert.InRange(freq[0], 0.66, 0.74);
        Assert.InRange(freq[1], 0.17, 0.23);
        Assert.InRange(freq[2], 0.08, 0.12);
    }

    [Theory]
    [InlineData(-1, 1.0, 1.0)]
    [InlineData(1, 0.0, 1.0)]
    [InlineData(1, 1.0, 0.0)]
    public void InvalidOptions_AreRejected(double temperature, double topP, double penalty)
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions
        {
            Temperature = temperature, TopP = topP, RepetitionPenalty = penalty,
        }));
    }
}
