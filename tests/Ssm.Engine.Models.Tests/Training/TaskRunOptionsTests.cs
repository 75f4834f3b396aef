using Ssm.Engine.Models.Training;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Models.Tests.Training;

public class TaskRunOptionsTests
{
    private static int[] Draws(PrefixSampling sampling, int prefix, int count, out PhiloxRandom rng)
    {
        var o = new TaskRunOptions { Prefix = prefix, PrefixSampling = sampling };
        rng = new PhiloxRandom(7, PhiloxRandom.Streams.Data);
        var draws = new int[count];
        for (int i = 0; i < count; i++) draws[i] = o.DrawPrefix(rng);
        return draws;
    }

    [Fact]
    public void DrawPrefix_Fixed_IsThePrefixAndDrawsNothing()
    {
        var draws = Draws(PrefixSampling.Fixed, 40, 10, out var rng);
        Assert.All(draws, d => Assert.Equal(40, d));
        Assert.Equal(new PhiloxRandom(7, PhiloxRandom.Streams.Data).State, rng.State);
    }

    [Fact]
    public void DrawPrefix_Uniform_CoversZeroToThePrefixEvenly()
    {
        var draws = Draws(PrefixSampling.Uniform, 9, 20_000, out _);
        Assert.All(draws, d => Assert.InRange(d, 0, 9));
        for (int v = 0; v <= 9; v++) Assert.InRange(draws.Count(d => d == v), 1700, 2300);   // 2000 expected
    }

    [Fact]
    public void DrawPrefix_LogUniform_GivesEveryOctaveTheSameShare()
    {
        const int prefix = 65534;   // P + 2 = 2^16: 16 octaves [0,1), [1,3), [3,7), ..., [32767, 65535)
        var draws = Draws(PrefixSampling.LogUniform, prefix, 32_000, out _);
        Assert.All(draws, d => Assert.InRange(d, 0, prefix));
        for (int k = 0; k < 16; k++)
        {
            int low = (1 << k) - 1, high = (1 << (k + 1)) - 1;
            Assert.InRange(draws.Count(d => d >= low && d < high), 1750, 2250);   // 2000
        }
        Assert.Contains(0, draws);
        Assert.True(draws.Max() > 60_000);
        // Half the windows start within 255 tokens of the zero state, which a uniform draw almost never gives.
        Assert.InRange(draws.Count(d => d < 255) / (double)draws.Length, 0.47, 0.53);
    }

    [Fact]
    public void DrawPrefix_Mixed_HalfUniformHalfLogUniform()
    {
        const int prefix = 65534;
        var draws = Draws(PrefixSampling.Mixed, prefix, 32_000, out _);
        Assert.All(draws, d => Assert.InRange(d, 0, prefix));
        // Short windows: ½ · ½ (log-uniform) + ½ · 255/65535 (uniform) ≈ 0.25; long: ½ · ½ + ½ · 1/16 ≈ 0.28.
        Assert.InRange(draws.Count(d => d < 255) / (double)draws.Length, 0.23, 0.27);
        Assert.InRange(draws.Count(d => d >= 32767) / (double)draws.Length, 0.26, 0.30);
    }
}
