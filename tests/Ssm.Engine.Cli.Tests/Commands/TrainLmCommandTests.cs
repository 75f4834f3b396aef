using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public sealed class TrainLmCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-trainlm-" + Guid.NewGuid().ToString("N"));

    public TrainLmCommandTests()
    {
        Directory.CreateDirectory(_root);
        var rng = new Random(5);
        string[] words = ["and", "the", "lord", "said", "unto", "moses", "let", "there", "be", "light"];
        string Text(int n) => string.Join(" ", Enumerable.Range(0, n).Select(_ => words[rng.Next(words.Length)]));
        File.WriteAllText(P("train.txt"), Text(500));
        File.WriteAllText(P("val.txt"), Text(60));
        File.WriteAllText(P("config.json"), CheckpointWriter.NativeConfigJson(new ModelConfig
        {
            DModel = 16, NLayer = 2, VocabSize = 256, AttnLayerIdx = [1],
            Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 8, HeadDim = 8, ChunkSize = 8 },
        }));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string P(string name) => Path.Combine(_root, name);

    private string[] Tiny =>
    [
        "--config", P("config.json"), "--data", P("train.txt"), "--val", P("val.txt"), "--seq-len", "24",
        "--batch", "3", "--lr", "0.01", "--eval-every", "2", "--val-tokens", "48", "--threads", "1", "--seed", "4",
    ];

    private static (int Exit, string Out, string Err) Ssm(params string[] args) =>
        CliHarness.Run(CliHarness.Services(), args);

    // Everything but the timing columns (tokens_per_s, elapsed_s).
    private static string[] Curve(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l.Split(','))
            .Select(c => string.Join(",", c.Where((_, i) => i != 3 && i != 5)))];

    [Fact]
    public void TrainLm_ThenEvalAndGenerate_UseTheRunDirectory()
    {
        string dir = P("run");
        var (exit, stdout, stderr) = Ssm(["train", "lm", "--steps", "4", "--out", dir, .. Tiny]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("step 4/4", stderr);
        Assert.Contains("val_loss", stderr);
        Assert.Contains("validation loss", stdout);
        Assert.True(File.Exists(Path.Combine(dir, "curve.png")) || File.Exists(Path.Combine(dir, "curve.svg")));
        Assert.Equal("val_loss,val_ppl", string.Join(",", File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[0]
            .Split(',').Skip(6)));
        Assert.Equal(new[] { 1 }, ModelLoader.Load(dir).Model.Config.AttnLayerIdx);

        (exit, stdout, stderr) = Ssm("eval", "--model", dir, "--text", P("val.txt"), "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("perplexity", stdout);
        (exit, stdout, stderr) = Ssm("eval", "--model", dir, "--text", P("val.txt"), "--threads", "1", "--window",
            "24", "--fresh-windows");
        Assert.True(exit == 0, stderr);
        Assert.Contains("fresh windows of 24", stdout);
        int predicted = (File.ReadAllBytes(P("val.txt")).Length - 1) / 24 * 24;
        Assert.Contains($"({predicted} predicted", stdout);

        (exit, stdout, stderr) = Ssm("generate", "--model", dir, "--prompt", "and the", "--bytes", "--max-tokens", "6");
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain(",", stdout);
        Assert.True(stdout.TrimEnd('\n').Length is >= 1 and <= 6, stdout);
    }

    [Fact]
    public void TrainLm_StopAfterThenResume_EqualsTheStraightRun()
    {
        string straight = P("straight"), split = P("split");
        Assert.Equal(0, Ssm(["train", "lm", "--steps", "4", "--out", straight, .. Tiny]).Exit);
        Assert.Equal(0, Ssm(["train", "lm", "--steps", "4", "--out", split, "--stop-after", "3", .. Tiny]).Exit);
        var (exit, _, stderr) = Ssm("train", "--resume", split);
        Assert.Equal(2, exit);
        Assert.Contains("ssm train lm --resume", stderr);
        (exit, _, stderr) = Ssm("train", "lm", "--resume", split, "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("resuming", stderr);
        Assert.Equal(Curve(straight), Curve(split));
    }

    [Fact]
    public void Generate_BytesWithAWideVocabulary_IsAnError()
    {
        string dir = P("wide");
        File.WriteAllText(P("wide.json"), CheckpointWriter.NativeConfigJson(new ModelConfig
        {
            DModel = 16, NLayer = 1, VocabSize = 300,
            Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 8, HeadDim = 8, ChunkSize = 8 },
        }));
        Assert.Equal(0, Ssm(["train", "lm", "--steps", "1", "--out", dir, .. Tiny.Select(a => a == P("config.json")
            ? P("wide.json") : a)]).Exit);
        var (exit, _, stderr) = Ssm("generate", "--model", dir, "--prompt", "a", "--bytes");
        Assert.Equal(2, exit);
        Assert.Contains("--bytes", stderr);
    }

    [Theory]
    [InlineData("--data", "/nonexistent/train.txt", "--config", "CONFIG")]
    [InlineData("--config", "CONFIG")]
    [InlineData("--data", "TRAIN", "--config", "CONFIG", "--model", "/some/dir")]
    [InlineData("--data", "TRAIN")]
    [InlineData("--data", "TRAIN", "--config", "CONFIG", "--seq-len", "0")]
    [InlineData("--data", "TRAIN", "--config", "CONFIG", "--threads", "0")]
    [InlineData("--data", "TRAIN", "--config", "/nonexistent/config.json")]
    [InlineData("--resume", "/nonexistent/run")]
    public void BadUsage_ExitsWithTwo(params string[] args)
    {
        string[] resolved = [.. args.Select(a => a == "CONFIG" ? P("config.json") : a == "TRAIN" ? P("train.txt") : a)];
        var (exit, _, stderr) = Ssm(["train", "lm", "--out", P("bad"), .. resolved]);
        Assert.Equal(2, exit);
        Assert.StartsWith("ssm train lm: ", stderr);
    }
}
