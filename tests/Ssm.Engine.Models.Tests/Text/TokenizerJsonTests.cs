using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public sealed class TokenizerJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ssm-tokjson-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Tail =
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},\"decoder\":{\"type\":\"ByteLevel\"}";

    private static string Tokenizer(string model, string extra = "") =>
        "{" + (extra.Length > 0 ? extra + "," : "") + (model.Length > 0 ? "\"model\":" + model + "," : "") + Tail + "}";

    private const string Vocab = """{"a":0,"b":1,"ab":2,"Ġ":3,"Ġab":4}""";

    private string Write(string json)
    {
        string path = Path.Combine(_dir, $"t{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private void AssertError(string json, string key)
    {
        string path = Write(json);
        var e = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"'{key}'", e.Message);
    }

    [Fact]
    public void FromFile_NamesFileAndKey_WhenModelIsMissing() => AssertError(Tokenizer(""), "model");

    [Fact]
    public void FromFile_NamesFileAndKey_WhenVocabIsMissing() =>
        AssertError(Tokenizer("""{"type":"BPE","merges":[]}"""), "model.vocab");

    [Fact]
    public void FromFile_NamesFileAndKey_WhenMergesAreMissing() =>
        AssertError(Tokenizer($$"""{"type":"BPE","vocab":{{Vocab}}}"""), "model.merges");

    [Fact]
    public void FromFile_NamesFileAndKey_WhenModelTypeIsUnknown() =>
        AssertError(Tokenizer($$"""{"type":"WordPiece","vocab":{{Vocab}},"merges":[]}"""), "model.type");

    [Fact]
    public void FromFile_NamesTheMerge_WhenAMergeIsMalformed() =>
        AssertError(Tokenizer($$"""{"type":"BPE","vocab":{{Vocab}},"merges":["a b","a b c"]}"""), "model.merges[1]");

    [Fact]
    public void FromFile_NamesTheMerge_WhenAMergeTokenIsNotInTheVocab() =>
        AssertError(Tokenizer($$"""{"type":"BPE","vocab":{{Vocab}},"merges":[["a","z"]]}"""), "model.merges[0]");

    [Fact]
    public void FromFile_NamesTheKey_WhenAnAddedTokenHasNoContent() =>
        AssertError(Tokenizer($$"""{"type":"BPE","vocab":{{Vocab}},"merges":[]}""", "\"added_tokens\":[{\"id\":5}]"),
            "added_tokens[0].content");

    [Fact]
    public void FromFile_NamesTheKey_WhenTheNormalizerIsUnsupported() =>
        AssertError(Tokenizer($$"""{"type":"BPE","vocab":{{Vocab}},"merges":[]}""",
                "\"normalizer\":{\"type\":\"NFKC\"}"),
            "normalizer.type");

    [Fact]
    public void FromFile_ReportsInvalidJson() => AssertError("{\"model\": ", "(root)");

    [Fact]
    public void FromFile_NamesTheFile_WhenItDoesNotExist()
    {
        string path = Path.Combine(_dir, "missing.json");
        var e = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FromFile_AcceptsBothMergeSerialisations_WithTheSameResult()
    {
        var strings = BpeTokenizer.FromFile(Write(Tokenizer(
            $$"""{"type":"BPE","vocab":{{Vocab}},"merges":["a b","Ġ ab"]}""")));
        var pairs = BpeTokenizer.FromFile(Write(Tokenizer(
            $$"""{"type":"BPE","vocab":{{Vocab}},"merges":[["a","b"],["Ġ","ab"]]}""")));
        Assert.Equal(new[] { 2, 4, 0 }, strings.Encode("ab aba")[..3]);
        Assert.Equal(strings.Encode("ab aba ba"), pairs.Encode("ab aba ba"));
        Assert.Equal(5, strings.VocabSize);
        Assert.Equal("ab", strings.IdToToken(2));
        Assert.Equal(4, strings.TokenToId("Ġab"));
        Assert.Null(strings.IdToToken(5));
        Assert.Null(strings.TokenToId("zz"));
    }
}
