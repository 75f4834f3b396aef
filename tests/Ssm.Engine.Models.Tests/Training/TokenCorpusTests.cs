using Ssm.Engine.Models.Training;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Models.Tests.Training;

public sealed class TokenCorpusTests
{
    // Distinct ids, so a window's position in the text is unique.
    private static readonly TokenCorpus Corpus = new([.. Enumerable.Range(0, 1000).Select(i => 5000 - 3 * i)]);

    [Fact]
    public void Sample_SameSeed_SameWindows_OtherSeed_Different()
    {
        var a = Corpus.Sample(new PhiloxRandom(5, PhiloxRandom.Streams.Data), 4, 32);
        var b = Corpus.Sample(new PhiloxRandom(5, PhiloxRandom.Streams.Data), 4, 32);
        var c = Corpus.Sample(new PhiloxRandom(6, PhiloxRandom.Streams.Data), 4, 32);
        Assert.Equal(a.Inputs, b.Inputs);
        Assert.Equal(a.Targets, b.Targets);
        Assert.NotEqual(a.Inputs, c.Inputs);
    }

    [Fact]
    public void Sample_RestoredGeneratorState_ContinuesTheSameStream()
    {
        var rng = new PhiloxRandom(9, PhiloxRandom.Streams.Data);
        Corpus.Sample(rng, 3, 16);
        var saved = rng.State;
        var next = Corpus.Sample(rng, 3, 16);
        var again = Corpus.Sample(new PhiloxRandom(saved), 3, 16);
        Assert.Equal(next.Inputs, again.Inputs);
    }

    [Fact]
    public void Sample_RowsAreContiguousWindowsWithShiftedTargets()
    {
        var batch = Corpus.Sample(new PhiloxRandom(1, PhiloxRandom.Streams.Data), 8, 40);
        var text = Corpus.Tokens;
        for (int b = 0; b < 8; b++)
        {
            var row = batch.InputRow(b).ToArray();
            int start = Enumerable.Range(0, text.Length - 40).Single(s => text.AsSpan(s, 40).SequenceEqual(row));
            Assert.Equal(text.AsSpan(start + 1, 40).ToArray(), batch.TargetRow(b).ToArray());
            Assert.All(batch.MaskRow(b).ToArray(), m => Assert.Equal(1, m));
        }
    }

    [Fact]
    public void Sample_CoversBothEndsOfTheText()
    {
        var small = new TokenCorpus([0, 1, 2, 3, 4, 5]);
        var rng = new PhiloxRandom(2, PhiloxRandom.Streams.Data);
        var firsts = Enumerable.Range(0, 200).Select(_ => small.Sample(rng, 1, 3).Inputs[0]).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1, 2 }, firsts);    // starts 0..N-L-1: the last target is token 5
    }

    [Fact]
    public void Window_ConsecutiveWindows_PredictEveryTokenOnce()
    {
        var c = new TokenCorpus([.. Enumerable.Range(0, 23)]);
        Assert.Equal(2, c.WindowCount(10));
        var w = c.Window(0, 2, 10);
        Assert.Equal(Enumerable.Range(1, 20), w.Targets);
        Assert.Equal(Enumerable.Range(0, 20), w.Inputs);
        Assert.Throws<ArgumentException>(() => c.Window(1, 2, 10));
    }

    [Fact]
    public void FromText_WithoutTokenizer_IsUtf8Bytes()
    {
        var c = TokenCorpus.FromText("aé");
        Assert.Equal(new[] { 0x61, 0xC3, 0xA9 }, c.Tokens);
        Assert.Equal(0xC3, c.MaxId);
    }

    [Fact]
    public void Sample_TextShorterThanAWindow_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new TokenCorpus([1, 2, 3]).Sample(new PhiloxRandom(0), 1, 3));
        Assert.Contains("[token_corpus]", e.Message);
    }
}
