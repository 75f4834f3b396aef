using System.Text.Json;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

/// <summary>Loads each golden tokenizer once per test run.</summary>
public sealed class GoldenTokenizers
{
    private static readonly Dictionary<string, Lazy<BpeTokenizer>> Loaded = new()
    {
        ["gpt-neox-20b"] = new(() => BpeTokenizer.FromFile(PathOf("gpt-neox-20b", "tokenizer.json"))),
        ["gpt2"] = new(() => BpeTokenizer.FromFile(PathOf("gpt2", "tokenizer.json"))),
    };

    /// <summary>The cached tokenizer of a golden set entry.</summary>
    public static BpeTokenizer Get(string name) => Loaded[name].Value;

    /// <summary>Path of a file in the golden tokenizer directory.</summary>
    public static string PathOf(string name, string file) => Path.Combine(GoldenPaths.Root, "tokenizers", name, file);

    /// <summary>(tokenizer, case name) rows of a case file.</summary>
    public static IEnumerable<object[]> Rows(string file)
    {
        foreach (string tok in new[] { "gpt-neox-20b", "gpt2" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(tok, file)));
            foreach (var c in doc.RootElement.EnumerateArray())
                yield return new object[] { tok, c.GetProperty(TokenizerConformance.Fields.Name).GetString()! };
        }
    }

    /// <summary>The entry named <paramref name="caseName"/> of a case file.</summary>
    public static JsonElement Case(string tok, string file, string caseName)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(tok, file)));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            if (c.GetProperty(TokenizerConformance.Fields.Name).GetString() == caseName) return c.Clone();
        }
        throw new KeyNotFoundException($"{tok}/{file}: no case '{caseName}'");
    }
}

public class TokenizerConformanceTests
{
    public static IEnumerable<object[]> EncodeRows() => GoldenTokenizers.Rows("cases.json");
    public static IEnumerable<object[]> DecodeRows() => GoldenTokenizers.Rows("decode_cases.json");

    [Theory]
    [MemberData(nameof(EncodeRows))]
    public void Encode_MatchesReference(string tokenizer, string caseName)
    {
        var entry = GoldenTokenizers.Case(tokenizer, "cases.json", caseName);
        var (passed, detail) = TokenizerConformance.RunEncodeCase(GoldenTokenizers.Get(tokenizer), entry);
        Assert.True(passed, detail);
    }

    [Theory]
    [MemberData(nameof(DecodeRows))]
    public void Decode_MatchesReference(string tokenizer, string caseName)
    {
        var entry = GoldenTokenizers.Case(tokenizer, "decode_cases.json", caseName);
        var (passed, detail) = TokenizerConformance.RunDecodeCase(GoldenTokenizers.Get(tokenizer), entry);
        Assert.True(passed, detail);
    }

    [Fact]
    public void RunEncodeCase_ReportsFirstDifferingPosition_WhenIdsDiffer()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        var entry = JsonDocument.Parse(
            """{"name":"t","text":"hello world","ids":[31373,995,1],"tokens":[],"decoded":"",""" +
            "\"decoded_skip_special\":\"\"}")
            .RootElement;
        var (passed, detail) = TokenizerConformance.RunEncodeCase(tok, entry);
        Assert.False(passed);
        Assert.Contains("length differs", detail);
        entry = JsonDocument.Parse(
            """{"name":"t","text":"hello world","ids":[31373,996],"tokens":[],"decoded":"",""" +
            "\"decoded_skip_special\":\"\"}")
            .RootElement;
        (passed, detail) = TokenizerConformance.RunEncodeCase(tok, entry);
        Assert.False(passed);
        Assert.Contains("position 1: expected 996, got 995", detail);
    }

    [Fact]
    public void RunDecodeCase_ReportsExpectedAndGotText_WhenTextDiffers()
    {
        var tok = GoldenTokenizers.Get("gpt2");
        var entry = JsonDocument.Parse("""{"name":"t","ids":[31373,995],"skip_special_tokens":false,"text":"hello"}""")
            .RootElement;
        var (passed, detail) = TokenizerConformance.RunDecodeCase(tok, entry);
        Assert.False(passed);
        Assert.Contains("code point 5: expected end of text, got U+0020", detail);
    }
}
