using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

/// <summary>A generated string of Unicode scalar values (never a lone surrogate).</summary>
public sealed record UnicodeText(string Value)
{
    public override string ToString() =>
        string.Join(" ", Value.EnumerateRunes().Select(r => $"U+{r.Value:X4}"));
}

/// <summary>Strings mixing ASCII words, space runs, Unicode whitespace, combining marks, Hangul jamo,
/// supplementary-plane characters, contractions and special-token text.</summary>
public static class UnicodeTextArbitrary
{
    private static readonly string[] Snippets =
        ["<|endoftext|>", "<|padding|>", "'s", "'LL", "'re", "\r\n", "\u0085", "\u00A0", "\u2028", "\u3000", "\uFEFF",
         "\u200B", "\u0120", "\u010A", "e\u0301", "\u1100\u1161\u11A8", "\U0001F468\u200D\U0001F469", "1\uFE0F\u20E3"];

    public static Arbitrary<UnicodeText> Text()
    {
        Gen<string> Scalar(int lo, int hi) => Gen.Choose(lo, hi)
            .Where(c => c < 0xD800 || c > 0xDFFF).Select(c => char.ConvertFromUtf32(c));
        var piece = Gen.Frequency(
            (6, Scalar(0x20, 0x7E)),
            (3, Gen.Choose(1, 30).Select(n => new string(' ', n))),
            (2, Gen.Elements(Snippets)),
            (2, Scalar(0x300, 0x36F)),
            (2, Scalar(0x80, 0xFFFF)),
            (2, Scalar(0x10000, 0x10FFFF)),
            (1, Scalar(0x1D400, 0x1D7FF)),
            (1, Scalar(0x00, 0x1F)));
        var gen = Gen.ListOf(piece).Select(parts => new UnicodeText(string.Concat(parts)));
        return Arb.From(gen);
    }
}

public class BpeTokenizerTests
{
    private const string Seed = "(20251123,977)";
    private static readonly Regex RawSpecial = new(@"(<\|endoftext\|>|<\|padding\|>)", RegexOptions.CultureInvariant);

    /// <summary>What decode(encode(s)) must give: gpt-neox-20b normalizes (NFC) each piece between the
    /// non-normalized special tokens; gpt2 has no normalizer. Byte-level BPE loses nothing else.</summary>
    private static string Expected(string name, string s) =>
        name == "gpt2"
            ? s
            : string.Concat(RawSpecial.Split(s).Select(p => RawSpecial.IsMatch(p) ? p : Nfc.Normalize(p)));

    [Property(Replay = Seed, MaxTest = 300, Arbitrary = new[] { typeof(UnicodeTextArbitrary) })]
    public bool DecodeEncode_GivesNfcText_Neox(UnicodeText s) => RoundTrips("gpt-neox-20b", s.Value);

    [Property(Replay = Seed, MaxTest = 300, Arbitrary = new[] { typeof(UnicodeTextArbitrary) })]
    public bool DecodeEncode_GivesText_Gpt2(UnicodeText s) => RoundTrips("gpt2", s.Value);

    private static bool RoundTrips(string name, string s)
    {
        var tok = GoldenTokenizers.Get(name);
        int[] ids = tok.Encode(s);
        Assert.All(ids, id => Assert.NotNull(tok.IdToToken(id)));
        Assert.Equal(Expected(name, s), tok.Decode(ids));
        return true;
    }

    [Property(Replay = Seed, MaxTest = 200, Arbitrary = new[] { typeof(UnicodeTextArbitrary) })]
    public bool StreamPieces_ConcatenateToDecode_OfEncodedText(UnicodeText s)
    {
        foreach (string name in new[] { "gpt-neox-20b", "gpt2" })
        {
            var tok = GoldenTokenizers.Get(name);
            int[] ids = tok.Encode(s.Value);
            foreach (bool skip in new[] { false, true })
            {
                var dec = new TokenStreamDecoder(tok, skip);
                var sb = new StringBuilder();
                foreach (int id in ids) sb.Append(dec.Push(id));
                sb.Append(dec.Flush());
                Assert.Equal(tok.Decode(ids, skip), sb.ToString());
            }
        }
        return true;
    }

    [Property(Replay = Seed, MaxTest = 200, Arbitrary = new[] { typeof(UnicodeTextArbitrary) })]
    public bool Encode_IsTheSame_WhetherTheTextIsEncodedOnceOrTwice(UnicodeText s)
    {
        var tok = GoldenTokenizers.Get("gpt-neox-20b");
        Assert.Equal(tok.Encode(s.Value), tok.Encode(s.Value)); // second call is served from the BPE cache
        return true;
    }

    [Theory]
    [InlineData("gpt-neox-20b", "a  b", new[] { 66, 50276, 67 })]
    [InlineData("gpt-neox-20b", "end of doc. <|endoftext|> Start", new[] { 423, 273, 5474, 15, 209, 0, 11075 })]
    public void Encode_SplitsAddedTokensFirst(string name, string text, int[] expected)
    {
        Assert.Equal(expected, GoldenTokenizers.Get(name).Encode(text));
    }

    [Fact]
    public void Encode_LongWordWithoutSpaces_IsNotQuadratic()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        var rng = new Random(7);
        string word = string.Concat(Enumerable.Range(0, 20_000).Select(_ => (char)('a' + rng.Next(26))));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int[] ids = tok.Encode(word);
        sw.Stop();
        Assert.Equal(word, tok.Decode(ids));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"20k-char word took {sw.Elapsed}");
    }

    [Fact]
    public void VocabSize_CountsAddedTokens()
    {
        Assert.Equal(50277, GoldenTokenizers.Get("gpt-neox-20b").VocabSize);
        Assert.Equal(50257, GoldenTokenizers.Get("gpt2").VocabSize);
    }

    [Fact]
    public void Decode_SkipsUnknownIds_AndOptionallySpecialTokens()
    {
        var tok = GoldenTokenizers.Get("gpt-neox-20b");
        Assert.Equal("a<|endoftext|>", tok.Decode([66, 0, 50277, 50279, -1]));
        Assert.Equal("a", tok.Decode([66, 0, 50277], skipSpecialTokens: true));
        Assert.Equal("a  ", tok.Decode([66, 50276], skipSpecialTokens: true)); // space runs are not special
        Assert.True(tok.IsSpecial(0));
        Assert.False(tok.IsSpecial(50276));
    }

    [Fact]
    public void Encode_ReplacesALoneSurrogate()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        Assert.Equal(tok.Encode("a\uFFFDb"), tok.Encode("a\uD800b"));
    }

    [Fact]
    public void Encode_GivesTheSameIds_FromManyThreads()
    {
        var tok = GoldenTokenizers.Get("gpt-neox-20b");
        var rng = new Random(3);
        string[] texts = Enumerable.Range(0, 64).Select(_ => string.Concat(Enumerable.Range(0, 200)
            .Select(_ => rng.Next(5) == 0 ? " " : ((char)('a' + rng.Next(26))).ToString()))).ToArray();
        int[][] sequential = texts.Select(t => tok.Encode(t)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = tok.Encode(texts[i]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }
}
