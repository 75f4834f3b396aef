using System.Text.Json;
using Ssm.Engine.Conformance.Runner;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Tests.Runner;

/// <summary>Manifests, models, tokenizers and the JSON report.</summary>
public class ConformanceRunnerSetTests
{
    private static (int Exit, string[] Lines) Run(ConformanceRegistry registry, string dir, string? json = null)
    {
        var stdout = new StringWriter();
        int exit = new ConformanceRunner(registry).Run(
            new ConformanceOptions(dir, DeviceSpec.Cpu, [], false, json), stdout, TextWriter.Null);
        return (exit, stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Manifest_ShaMismatch_SizeMismatch_AndMissingFile_Fail()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "good");
        string sha = set.OpCase("scale", "sha");
        string size = set.OpCase("scale", "size");
        string gone = set.OpCase("scale", "gone");
        set.Manifest();
        byte[] b = File.ReadAllBytes(sha);
        b[^1] ^= 1;
        File.WriteAllBytes(sha, b);
        File.AppendAllText(size, " ");
        File.Delete(gone);
        var (exit, lines) = Run(new ConformanceRegistry([new FakeFamily()]), set.Root);
        Assert.Equal("FAIL scale/gone  error: ops/scale/gone.safetensors is listed in MANIFEST.json but missing",
            lines[0]);
        Assert.StartsWith("PASS scale/good  ", lines[1]);
        Assert.StartsWith("FAIL scale/sha  error: ops/scale/sha.safetensors: sha256 ", lines[2]);
        Assert.Contains("bytes, MANIFEST.json lists", lines[3]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Manifest_FilesNotListed_DoNotBelongToTheSet_EvenFromASubdirectory()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "listed");
        set.OpCase("scale", "stray");
        set.Manifest("", "ops/scale/stray.safetensors");
        var (exit, lines) = Run(new ConformanceRegistry([new FakeFamily()]), set.Path("ops/scale"));
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("PASS scale/listed  ", lines[0]);
        Assert.Equal(0, exit);
    }

    [Fact]
    public void Models_OneCasePerFormat_SkippedUntilImplemented_CheckpointsAreNotCases()
    {
        using var set = new GoldenSetBuilder();
        set.Model("m1", "hf_bf16", "native", "hf");
        set.OpCase("vim", "v", checkpoint: "checkpoints/vim/v");
        Directory.CreateDirectory(set.Path("checkpoints/vim/v"));
        File.WriteAllText(set.Path("checkpoints/vim/v/config.json"), "{}");
        File.Copy(set.Path("models/m1/native/model.safetensors"), set.Path("checkpoints/vim/v/model.safetensors"));
        set.Manifest();
        var (_, lines) = Run(new ConformanceRegistry([]), set.Root);
        Assert.Equal(
        [
            "SKIP model/m1@hf  reason: model family not implemented",
            "SKIP model/m1@hf_bf16  reason: model family not implemented",
            "SKIP model/m1@native  reason: model family not implemented",
            "SKIP vim/v  reason: family not implemented",
            "conformance: 0 passed, 0 failed, 4 skipped",
        ], lines);
    }

    [Fact]
    public void Models_RunThroughIModelConformance_WithDirFormatAndGolden()
    {
        using var set = new GoldenSetBuilder();
        set.Model("m1", "native", "hf_bf16");
        var models = new FakeModels();
        var (exit, lines) = Run(new ConformanceRegistry([], models), set.Root);
        Assert.Equal("FAIL model/m1@hf_bf16  out.logits max_err 1.00e+00 (tol 5.00e-01)", lines[0]);
        Assert.Equal("PASS model/m1@native  out.logits max_err 0.00e+00 (tol 5.00e-01)", lines[1]);
        Assert.Equal(1, exit);
        Assert.Contains((set.Path("models/m1"), "native", set.Path("models/m1/golden.safetensors")), models.Calls);
        // DIR = one checkpoint format: only that case.
        var (_, one) = Run(new ConformanceRegistry([], models), set.Path("models/m1/hf_bf16"));
        Assert.Equal(2, one.Length);
        Assert.StartsWith("FAIL model/m1@hf_bf16  ", one[0]);
    }

    [Fact]
    public void Model_WithoutAnyCheckpoint_Fails()
    {
        using var set = new GoldenSetBuilder();
        set.Model("lonely");
        var (exit, lines) = Run(new ConformanceRegistry([], new FakeModels()), set.Root);
        Assert.Equal("FAIL model/lonely  error: no checkpoint directory (with a config.json) beside golden.safetensors",
            lines[0]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Vim_CheckpointFiles_AreVerifiedAgainstTheManifest()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("vim", "v", checkpoint: "checkpoints/vim/v");
        Directory.CreateDirectory(set.Path("checkpoints/vim/v"));
        File.WriteAllText(set.Path("checkpoints/vim/v/config.json"), "{}");
        set.Manifest();
        File.WriteAllText(set.Path("checkpoints/vim/v/config.json"), "{ }");
        var (_, lines) = Run(new ConformanceRegistry([new FakeFamily("vim")]), set.Root);
        Assert.StartsWith("FAIL vim/v  error: checkpoints/vim/v/config.json: 3 bytes, MANIFEST.json lists 2", lines[0]);
    }

    [Fact]
    public void Tokenizers_OneCasePerEntry_SkippedUntilImplemented()
    {
        using var set = new GoldenSetBuilder();
        set.Tokenizer("gpt2");
        var (exit, lines) = Run(new ConformanceRegistry([]), set.Path("tokenizers"));
        Assert.Equal(
        [
            "SKIP tokenizer/gpt2/empty  reason: tokenizer not implemented",
            "SKIP tokenizer/gpt2/hello  reason: tokenizer not implemented",
            "SKIP tokenizer/gpt2/lone_byte  reason: tokenizer not implemented",
            "conformance: 0 passed, 0 failed, 3 skipped",
        ], lines);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Tokenizers_RunEncodeAndDecodeEntries()
    {
        using var set = new GoldenSetBuilder();
        set.Tokenizer("gpt2");
        set.Manifest("tokenizers");
        var tok = new FakeTokenizer();
        var (_, lines) = Run(new ConformanceRegistry([], null, tok), set.Root);
        Assert.Equal("PASS tokenizer/gpt2/empty  ids max_err 0.00e+00 (tol 0.00e+00)", lines[0]);
        Assert.Equal("FAIL tokenizer/gpt2/lone_byte  error: text differs", lines[2]);
        Assert.Equal(["encode:empty", "encode:hello", "decode:lone_byte"], tok.Calls);
    }

    [Fact]
    public void Malformed_TokenizerCases_OrModelGolden_FailEvenWhenNotImplemented()
    {
        using var set = new GoldenSetBuilder();
        set.Tokenizer("neox");
        File.WriteAllText(set.Path("tokenizers/neox/cases.json"), "[{\"name\": ");
        set.Model("m", "native");
        File.WriteAllBytes(set.Path("models/m/golden.safetensors"), [1, 2, 3]);
        var (exit, lines) = Run(new ConformanceRegistry([]), set.Root);
        Assert.Equal("FAIL model/m@native  error: " + set.Path("models/m/golden.safetensors")
                     + ": truncated file: 3 bytes, need at least 8", lines[0]);
        Assert.StartsWith("FAIL tokenizer/neox/cases.json  error: cases.json: ", lines[1]);
        Assert.Equal("SKIP tokenizer/neox/lone_byte  reason: tokenizer not implemented", lines[2]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Json_ReportHoldsEveryCase_WrittenAtomically()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        set.OpCase("ssd", "b");
        set.Model("m", "native");
        string json = Path.Combine(set.Root, "out", "report.json");
        var (exit, _) = Run(new ConformanceRegistry([new FakeFamily { OutError = 1e-3f }]), set.Root, json);
        Assert.Equal(1, exit);
        Assert.Equal(["report.json"], Directory.GetFiles(Path.GetDirectoryName(json)!).Select(Path.GetFileName));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal(set.Root, r.GetProperty("dir").GetString());
        Assert.Equal("cpu", r.GetProperty("device").GetString());
        Assert.Equal((0, 1, 2), (r.GetProperty("passed").GetInt32(), r.GetProperty("failed").GetInt32(),
            r.GetProperty("skipped").GetInt32()));
        var cases = r.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(["model/m@native", "scale/a", "ssd/b"], cases.Select(c => c.GetProperty("id").GetString()));
        var a = cases[1];
        Assert.Equal("scale", a.GetProperty("family").GetString());
        Assert.Equal("a", a.GetProperty("case").GetString());
        Assert.Equal(JsonValueKind.Null, a.GetProperty("format").ValueKind);
        Assert.Equal("FAIL", a.GetProperty("status").GetString());
        Assert.Equal("out.y", a.GetProperty("worst_tensor").GetString());
        Assert.Equal(1e-3, a.GetProperty("max_err").GetDouble(), 1e-7);
        Assert.Equal(6.1e-4, a.GetProperty("tol").GetDouble(), 1e-9);
        Assert.Equal(JsonValueKind.Null, a.GetProperty("reason").ValueKind);
        Assert.True(a.GetProperty("seconds").GetDouble() >= 0);
        Assert.Equal("native", cases[0].GetProperty("format").GetString());
        Assert.Equal("model family not implemented", cases[0].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData(1.234e-6, "1.23e-06")]
    [InlineData(0.0, "0.00e+00")]
    [InlineData(12345.0, "1.23e+04")]
    [InlineData(double.NaN, "nan")]
    public void Number_FormatsWithThreeSignificantDigits(double v, string expected) =>
        Assert.Equal(expected, ConformanceReport.Number(v));
}
