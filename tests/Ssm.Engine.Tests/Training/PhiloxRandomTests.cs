using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public class PhiloxRandomTests
{
    [Theory]
    // Random123 kat_vectors, philox4x32 10 (counter words, key words, expected output words).
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Block_MatchesKnownAnswerVectors(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal((e0, e1, e2, e3), Philox.Block(c0, c1, c2, c3, k0, k1));
    }

    [Fact]
    public void NextUInt32_WalksBlocksInCounterOrder()
    {
        var rng = new PhiloxRandom(seed: 0x0000000500000007UL, stream: 0x0000000300000002UL);
        for (uint block = 0; block < 3; block++)
        {
            var (x0, x1, x2, x3) = Philox.Block(block, 0, 2, 3, 7, 5);
            Assert.Equal([x0, x1, x2, x3], new[] { rng.NextUInt32(), rng.NextUInt32(), rng.NextUInt32(),
                rng.NextUInt32() });
        }
    }

    [Fact]
    public void NextUInt32_CarriesAcrossCounterWords()
    {
        var rng = new PhiloxRandom(new PhiloxState(1, 2, 0xffffffff, 0xffffffff, 9, 0, Used: 4));
        var (x0, _, _, _) = Philox.Block(0, 0, 10, 0, 1, 2);
        Assert.Equal(x0, rng.NextUInt32());
        Assert.Equal(new PhiloxState(1, 2, 0, 0, 10, 0, 1), rng.State);
    }

    [Fact]
    public void Restore_ContinuesTheStreamExactly()
    {
        var a = new PhiloxRandom(42, PhiloxRandom.Streams.Data);
        for (int i = 0; i < 7; i++) a.NextUInt32(); // leave the state mid-block
        var saved = PhiloxState.FromArray(a.State.ToArray());
        var expected = Enumerable.Range(0, 50).Select(_ => a.NextDouble()).ToArray();
        var b = new PhiloxRandom(999);
        b.Restore(saved);
        Assert.Equal(expected, Enumerable.Range(0, 50).Select(_ => b.NextDouble()).ToArray());
    }

    [Fact]
    public void SameSeed_GivesIdenticalTensors_DifferentStreamsDiffer()
    {
        var x = new PhiloxRandom(5, 0).Normal([3, 5]).ToArray<float>();
        var y = new PhiloxRandom(5, 0).Normal([3, 5]).ToArray<float>();
        var z = new PhiloxRandom(5, 1).Normal([3, 5]).ToArray<float>();
        Assert.Equal(x, y);
        Assert.NotEqual(x, z);
    }

    [Fact]
    public void FloatFills_MatchTheFloat64StreamRounded_OnContiguousAndStridedTargets()
    {
        var wide = new PhiloxRandom(12).Normal([5, 3], 0.5, 2, DType.Float64).ToDoubleArray();
        var narrow = new PhiloxRandom(12).Normal([5, 3], 0.5, 2).ToArray<float>();
        var strided = new PhiloxRandom(12).FillNormal(Tensor.Zeros(3, 5).Permute(1, 0), 0.5, 2).ToArray();
        Assert.Equal(wide.Select(v => (float)v), narrow);
        Assert.Equal(narrow, strided);
        var u64 = new PhiloxRandom(13).Uniform([7], -1, 1, DType.Float64).ToDoubleArray();
        Assert.Equal(u64.Select(v => (float)v), new PhiloxRandom(13).Uniform([7], -1, 1).ToArray<float>());
    }

    [Fact]
    public void Uniform_HasExpectedMoments_AndStaysInRange()
    {
        var v = new PhiloxRandom(1).Uniform([20000], -2, 3, DType.Float64).ToDoubleArray();
        Assert.All(v, x => Assert.InRange(x, -2.0, 3.0 - 1e-12));
        double mean = v.Average(), var = v.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, 0.5 - 0.03, 0.5 + 0.03);           // sd of mean ≈ 0.010
        Assert.InRange(var, 25.0 / 12 * 0.97, 25.0 / 12 * 1.03);
    }

    [Fact]
    public void Normal_HasExpectedMoments()
    {
        var v = new PhiloxRandom(2).Normal([20001], mean: 1.5, std: 2, DType.Float64).ToDoubleArray();
        double mean = v.Average(), sd = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, 1.5 - 0.05, 1.5 + 0.05);           // sd of mean ≈ 0.014
        Assert.InRange(sd, 2 * 0.97, 2 * 1.03);
        double within1 = v.Count(x => Math.Abs(x - 1.5) < 2) / (double)v.Length;
        Assert.InRange(within1, 0.68 - 0.015, 0.6827 + 0.015);
    }

    [Fact]
    public void NextInt_CoversTheRangeUniformly()
    {
        var rng = new PhiloxRandom(3);
        var counts = new int[7];
        for (int i = 0; i < 70000; i++) counts[rng.NextInt(-3, 4) + 3]++;
        double chi2 = counts.Sum(c => (c - 10000.0) * (c - 10000.0) / 10000.0);
        Assert.True(chi2 < 22.5, $"chi-square {chi2} over 6 degrees of freedom (p < 0.001)");
        Assert.Throws<ArgumentException>(() => rng.NextInt(4, 4));
    }

    [Fact]
    public void NextInt_FullRangeHasNoOverflow()
    {
        var rng = new PhiloxRandom(4);
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.NextInt(int.MinValue, int.MaxValue), int.MinValue,
            int.MaxValue - 1);
    }

    [Fact]
    public void Permutation_IsAPermutation_AndUnbiasedForFirstPosition()
    {
        var rng = new PhiloxRandom(6);
        var first = new int[4];
        for (int i = 0; i < 8000; i++)
        {
            var p = rng.Permutation(4);
            Assert.Equal([0, 1, 2, 3], p.Order().ToArray());
            first[p[0]]++;
        }
        Assert.All(first, c => Assert.InRange(c, 2000 - 200, 2000 + 200));
    }

    [Fact]
    public void Dropout_ZeroesAboutPAndScalesTheRest()
    {
        var x = Tensor.Ones([10000]);
        var y = new PhiloxRandom(8, PhiloxRandom.Streams.Dropout).Dropout(x, 0.25).ToArray();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 4f / 3) < 1e-6));
        Assert.InRange(y.Count(v => v == 0) / 10000.0, 0.23, 0.27);
        Assert.Same(x, new PhiloxRandom(8).Dropout(x, 0.25, training: false));
    }

    [Fact]
    public void FromArray_RejectsOutOfRangeWords()
    {
        Assert.Throws<ArgumentException>(() => PhiloxState.FromArray([0, 0, 0, 0, 0, 0, 5]));
        Assert.Throws<ArgumentException>(() => PhiloxState.FromArray([-1, 0, 0, 0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => PhiloxState.FromArray([0, 0, 0]));
    }
}
