using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public class TokenStreamDecoderTests
{
    private static string Stream(BpeTokenizer tok, int[] ids, bool skip, List<string>? pieces = null)
    {
        var dec = new TokenStreamDecoder(tok, skip);
        var all = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            string p = dec.Push(id);
            pieces?.Add(p);
            all.Append(p);
        }
        all.Append(dec.Flush());
        Assert.Equal(0, dec.PendingBytes);
        return all.ToString();
    }

    [Theory]
    [InlineData("gpt-neox-20b")]
    [InlineData("gpt2")]
    public void Push_HoldsBackAPartialCharacter_UntilItCompletes(string name)
    {
        var tok = GoldenTokenizers.Get(name);
        // U+1F642 is F0 9F 99 82: four byte-level tokens, one per byte.
        int[] ids = "\U0001F642"u8.ToArray()
            .Select(b => tok.TokenToId(ByteLevel.ToChar(b).ToString())!.Value).ToArray();
        var dec = new TokenStreamDecoder(tok);
        Assert.Equal("", dec.Push(ids[0]));
        Assert.Equal("", dec.Push(ids[1]));
        Assert.Equal("", dec.Push(ids[2]));
        Assert.Equal(3, dec.PendingBytes);
        Assert.Equal("\U0001F642", dec.Push(ids[3]));
        Assert.Equal("", dec.Flush());
    }

    [Fact]
    public void Flush_ReplacesAnIncompleteTail()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        var dec = new TokenStreamDecoder(tok);
        Assert.Equal("", dec.Push(tok.TokenToId(ByteLevel.ToChar(0xE2).ToString())!.Value));
        Assert.Equal("\uFFFD", dec.Flush());
    }

    [Fact]
    public void Push_EmitsReplacement_WhenTheNextByteBreaksTheSequence()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        var dec = new TokenStreamDecoder(tok);
        Assert.Equal("", dec.Push(tok.TokenToId(ByteLevel.ToChar(0xE2).ToString())!.Value));
        Assert.Equal("\uFFFDa", dec.Push(tok.TokenToId("a")!.Value));
    }

    [Theory]
    [InlineData(new byte[] { 0xE2, 0x82 }, 2)]
    [InlineData(new byte[] { 0x41, 0xF0, 0x9F, 0x99 }, 3)]
    [InlineData(new byte[] { 0xE0, 0x80 }, 0)]  // E0 80 can never complete: overlong
    [InlineData(new byte[] { 0xED, 0xA0 }, 0)]  // surrogate range
    [InlineData(new byte[] { 0xC3, 0xA9 }, 0)]  // complete
    [InlineData(new byte[] { 0x80 }, 0)]
    [InlineData(new byte[] { 0xF5 }, 0)]
    public void IncompleteTail_KeepsOnlyAValidPrefix(byte[] bytes, int expected)
    {
        Assert.Equal(expected, TokenStreamDecoder.IncompleteTail(bytes));
    }

    [Theory]
    [InlineData("gpt-neox-20b", false)]
    [InlineData("gpt-neox-20b", true)]
    [InlineData("gpt2", false)]
    [InlineData("gpt2", true)]
    public void Pieces_ConcatenateToDecode_OnRandomIdSequences(string name, bool skip)
    {
        var tok = GoldenTokenizers.Get(name);
        var rng = new Random(1234);
        for (int t = 0; t < 400; t++)
        {
            var ids = new int[rng.Next(0, 24)];
            for (int i = 0; i < ids.Length; i++)
                ids[i] = rng.Next(4) == 0 ? rng.Next(-3, tok.VocabSize + 5) : rng.Next(0, 300);
            var pieces = new List<string>();
            Assert.Equal(tok.Decode(ids, skip), Stream(tok, ids, skip, pieces));
            // No piece ends inside a surrogate pair: each is valid UTF-16 on its own.
            Assert.All(pieces, p => Assert.True(p.Length == 0 || !char.IsHighSurrogate(p[^1])));
        }
    }

    [Theory]
    [InlineData("gpt-neox-20b")]
    [InlineData("gpt2")]
    public void Pieces_ConcatenateToDecode_OnDecodeCases(string name)
    {
        var tok = GoldenTokenizers.Get(name);
        foreach (var row in GoldenTokenizers.Rows("decode_cases.json").Where(r => (string)r[0] == name))
        {
            var entry = GoldenTokenizers.Case(name, "decode_cases.json", (string)row[1]);
            int[] ids = entry.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            bool skip = entry.GetProperty("skip_special_tokens").GetBoolean();
            Assert.Equal(entry.GetProperty("text").GetString(), Stream(tok, ids, skip));
        }
    }
}
