using System.Text.Json;
using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Tokenizers;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Conformance.Tests.Tokenizers;

public class BpeTokenizerConformanceTests
{
    private static string Gpt2 => Path.Combine(GoldenPaths.Root, "tokenizers", "gpt2", "tokenizer.json");

    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement.Clone();

    [Fact]
    public void EncodeCase_Passes_WhenIdsAndTextsMatch()
    {
        string cases = File.ReadAllText(Path.Combine(GoldenPaths.Root, "tokenizers", "gpt2", "cases.json"));
        var entry = JsonDocument.Parse(cases).RootElement.EnumerateArray().First().Clone();
        var outcome = new BpeTokenizerConformance().RunEncodeCase(Gpt2, entry);
        Assert.Equal(CaseStatus.Pass, outcome.Status);
    }

    [Fact]
    public void EncodeCase_Fails_NamingTheCase_WhenIdsDiffer()
    {
        var entry = Json("""
            {"name":"wrong","text":"Hello world","ids":[1,2],"tokens":["a","b"],
             "decoded":"Hello world","decoded_skip_special":"Hello world"}
            """);
        var outcome = new BpeTokenizerConformance().RunEncodeCase(Gpt2, entry);
        Assert.Equal(CaseStatus.Fail, outcome.Status);
        Assert.Contains("wrong", outcome.Message);
    }

    [Fact]
    public void DecodeCase_Fails_WhenTextDiffers()
    {
        var entry = Json("""{"name":"bad_decode","ids":[15496],"skip_special_tokens":false,"text":"Goodbye"}""");
        var outcome = new BpeTokenizerConformance().RunDecodeCase(Gpt2, entry);
        Assert.Equal(CaseStatus.Fail, outcome.Status);
    }
}
