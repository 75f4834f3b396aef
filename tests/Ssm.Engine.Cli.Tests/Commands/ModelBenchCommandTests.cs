using System.Text.Json;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public class ModelBenchCommandTests
{
    private static string Model(string name, string format) => Path.Combine(GoldenPaths.Root, "models", name, format);

    [Theory]
    [InlineData("decode", "mamba1_l2_v256_tied", "f32", "mamba_decoder")]
    [InlineData("decode", "mamba1_l2_v1000_untied", "bf16", "mamba_decoder")]
    [InlineData("decode", "mamba2_l2_v256", "f32", "mamba_decoder")]
    [InlineData("decode", "hybrid_m2_gqa_mlp_l3_v256", "f32", "causal_lm_step")]
    [InlineData("prefill", "mamba1_l2_v256_tied", "bf16", "causal_lm_forward")]
    public void ModelBench_WritesTheJsonRecord(string mode, string name, string dtype, string path)
    {
        string json = Path.Combine(Path.GetTempPath(), $"ssm-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = CliHarness.Run(CliHarness.Services(), "bench", mode, "--model",
                Model(name, "native"), "--dtype", dtype, "--threads", "1", "--repeat", "1", "--shape", "L=4",
                "--json", json);
            Assert.True(exit == 0, stderr);
            Assert.Contains("tokens/s", stdout);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.True(root.GetProperty("tokens_per_s").GetDouble() > 0);
            Assert.True(root.GetProperty("median_ms").GetDouble() > 0);
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            Assert.Equal("cpu", root.GetProperty("device").GetString());
            Assert.Equal(dtype, root.GetProperty("dtype").GetString());
            Assert.Equal(path, root.GetProperty("path").GetString());
            Assert.Equal(mode == "prefill", root.TryGetProperty("gflops", out var g) && g.GetDouble() > 0);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void Decode_WithoutModel_OrWithABadDtype_IsAUsageError()
    {
        var (exit, _, stderr) = CliHarness.Run(CliHarness.Services(), "bench", "decode");
        Assert.Equal(2, exit);
        Assert.Contains("--model", stderr);
        (exit, _, stderr) = CliHarness.Run(CliHarness.Services(), "bench", "decode", "--model",
            Model("mamba2_l2_v256", "hf"), "--dtype", "f8");
        Assert.Equal(2, exit);
        Assert.Contains("f8", stderr);
    }

    [Fact]
    public void Eval_ReportsBytePerplexity_WithoutATokenizer()
    {
        string text = Path.Combine(Path.GetTempPath(), $"ssm-eval-{Guid.NewGuid():N}.txt");
        File.WriteAllText(text, "state space models scan sequences in linear time.");
        try
        {
            var (exit, stdout, stderr) = CliHarness.Run(CliHarness.Services(), "eval", "--model",
                Model("mamba1_l2_v256_tied", "hf"), "--text", text, "--window", "7");
            Assert.True(exit == 0, stderr);
            Assert.Contains("bytes (no tokenizer.json)", stdout);
            Assert.Contains("tokens     49 (48 predicted)", stdout);
            Assert.Contains("perplexity", stdout);
        }
        finally
        {
            File.Delete(text);
        }
    }
}
