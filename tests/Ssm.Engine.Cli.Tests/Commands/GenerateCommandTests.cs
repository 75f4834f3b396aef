using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public class GenerateCommandTests
{
    private static string Model(string name, string format) => Path.Combine(GoldenPaths.Root, "models", name, format);

    [Fact]
    public void Greedy_PrintsCommaSeparatedIds_WithoutATokenizer()
    {
        var (exit, stdout, stderr) = CliHarness.Run(CliHarness.Services(), "generate", "--model",
            Model("mamba2_l2_v256", "hf"), "--prompt-ids", "1,2,3", "--max-tokens", "5");
        Assert.True(exit == 0, stderr);
        var ids = stdout.Trim().Split(',').Select(int.Parse).ToArray();
        Assert.Equal(5, ids.Length);
        var again = CliHarness.Run(CliHarness.Services(), "generate", "--model", Model("mamba2_l2_v256", "hf"),
            "--prompt-ids", "1,2,3", "--max-tokens", "5");
        Assert.Equal(stdout, again.Out);
    }

    [Fact]
    public void Sampling_WithSeed_IsReproducible()
    {
        string[] args = ["generate", "--model", Model("mamba1_l2_v256_tied", "native"), "--prompt-ids", "7,8",
            "--max-tokens", "6", "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--seed", "5"];
        var a = CliHarness.Run(CliHarness.Services(), args);
        Assert.Equal(0, a.Exit);
        Assert.Equal(a.Out, CliHarness.Run(CliHarness.Services(), args).Out);
    }

    [Fact]
    public void TextPrompt_WithoutTokenizer_IsAUsageError()
    {
        var (exit, _, stderr) = CliHarness.Run(CliHarness.Services(), "generate", "--model",
            Model("mamba2_l2_v256", "hf"), "--prompt", "hello");
        Assert.Equal(2, exit);
        Assert.Contains("tokenizer.json", stderr);
    }

    [Fact]
    public void MissingModelDirectory_IsAnError()
    {
        var (exit, _, stderr) = CliHarness.Run(CliHarness.Services(), "generate", "--model", "/nonexistent/model",
            "--prompt-ids", "1");
        Assert.Equal(2, exit);
        Assert.Contains("config.json", stderr);
    }
}
