using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Training;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly string[] Tiny =
        ["--batch", "4", "--length", "16", "--d-model", "16", "--layers", "2", "--threads", "1", "--seed", "3"];

    private (int Exit, string Out, string Err) Ssm(params string[] args) =>
        CliHarness.Run(CliHarness.Services(), args);

    private static string[] Curve(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l.Split(','))
            .Select(c => string.Join(",", c[0], c[1], c[2], c[4]))];

    [Fact]
    public void Train_ThenEvalTask_WritesARunDirectoryAndPrintsTheTable()
    {
        string dir = Path.Combine(_root, "run");
        var (exit, stdout, stderr) = Ssm(["train", "induction-heads", "--steps", "3", "--out", dir, .. Tiny]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("step 3/3", stderr);
        Assert.Contains(dir, stdout);
        Assert.True(File.Exists(Path.Combine(dir, "curve.png")) || File.Exists(Path.Combine(dir, "curve.svg")));
        Assert.NotNull(ModelLoader.Load(dir).Model);

        (exit, stdout, stderr) = Ssm("eval-task", dir, "--lengths", "16,64", "--sequences", "3");
        Assert.True(exit == 0, stderr);
        var rows = CliHarness.Lines(stdout);
        Assert.Contains(rows, r => r.TrimStart().StartsWith("16 ", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.TrimStart().StartsWith("64 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Train_StopAfterThenResume_EqualsTheStraightRun()
    {
        string straight = Path.Combine(_root, "straight"), split = Path.Combine(_root, "split");
        Assert.Equal(0, Ssm(["train", "induction-heads", "--steps", "4", "--out", straight, .. Tiny]).Exit);
        Assert.Equal(0, Ssm(["train", "induction-heads", "--steps", "4", "--out", split, "--stop-after", "2",
            .. Tiny]).Exit);
        var (exit, _, stderr) = Ssm("train", "--resume", split, "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("resuming", stderr);
        Assert.Equal(Curve(straight), Curve(split));
    }

    [Fact]
    public void Train_PrefixAndTimeLimit_AreStoredAndStopResumably()
    {
        string dir = Path.Combine(_root, "prefix");
        // A 60 µs time limit on a run far too long to finish: it stops after the update in progress, resumably.
        var (exit, stdout, stderr) = Ssm(["train", "induction-heads", "--steps", "1000000", "--out", dir, "--prefix",
            "8", "--prefix-sampling", "log-uniform", "--time-limit", "0.000001", .. Tiny]);
        Assert.True(exit == 0, stderr);
        long stopped = long.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"\(step (\d+)/1000000").Groups[1].Value);
        Assert.InRange(stopped, 0, 999_999);
        Assert.True(File.Exists(Path.Combine(dir, "trainer_state.safetensors")));
        Assert.Equal(8, TaskRunOptions.Load(dir).Prefix);
        Assert.Equal(PrefixSampling.LogUniform, TaskRunOptions.Load(dir).PrefixSampling);
        (exit, stdout, stderr) = Ssm("train", "--resume", dir, "--threads", "1", "--stop-after", $"{stopped + 1}");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"(step {stopped + 1}/1000000", stdout);
        Assert.Equal(2, Ssm(["train", "induction-heads", "--out", Path.Combine(_root, "y"), "--time-limit", "0"]).Exit);
        Assert.Equal(2, Ssm(["train", "induction-heads", "--out", Path.Combine(_root, "z"), "--prefix", "-4"]).Exit);
        Assert.Equal(2, Ssm(["train", "induction-heads", "--out", Path.Combine(_root, "w"), "--prefix-sampling", "gauss"]).Exit);
    }

    [Fact]
    public void Train_AblationLti_StoresAnLtiModel()
    {
        string dir = Path.Combine(_root, "lti");
        var (exit, _, stderr) = Ssm(["train", "selective-copying", "--steps", "2", "--length", "40", "--out", dir,
            "--ablation", "lti", "--threads", "1", "--d-model", "16", "--batch", "2"]);
        Assert.True(exit == 0, stderr);
        Assert.Equal(SsmSelectivity.Lti, ModelLoader.Load(dir).Model.Config.Ssm.Selectivity);
        Assert.Equal(SyntheticTask.SelectiveCopying, TaskRunOptions.Load(dir).Task);
    }

    [Theory]
    [InlineData("train", "copying")]
    [InlineData("train", "induction-heads", "--ablation", "nope")]
    [InlineData("train")]
    [InlineData("eval-task", "/nonexistent/run")]
    public void BadUsage_ExitsWithTwo(params string[] args)
    {
        string[] extra = args[0] == "train" ? ["--out", Path.Combine(_root, "x")] : [];
        var (exit, _, stderr) = Ssm([.. args, .. extra]);
        Assert.Equal(2, exit);
        Assert.StartsWith("ssm ", stderr);
    }
}
