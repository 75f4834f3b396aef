using Ssm.Engine.IO;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public sealed class VisionTrainCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-vision-" + Guid.NewGuid().ToString("N"));

    public VisionTrainCommandTests()
    {
        foreach (var (train, n) in new[] { (true, 48), (false, 12) })
        {
            string prefix = train ? "train" : "t10k";
            var rng = new Random(n);
            var px = new byte[n * 784];
            rng.NextBytes(px);
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
            IdxFile.Write(Path.Combine(_root, "data", $"{prefix}-images-idx3-ubyte.gz"), new IdxArray([n, 28, 28], px));
            IdxFile.Write(Path.Combine(_root, "data", $"{prefix}-labels-idx1-ubyte.gz"), new IdxArray([n], labels));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // Every call passes --threads 1: Par.MaxThreads is process-wide and the other CLI tests rely on 1 thread.
    private static (int Exit, string Out, string Err) Ssm(params string[] args) =>
        CliHarness.Run(CliHarness.Services(), args);

    [Fact]
    public void TrainVision_ThenEvalVision_WritesTheRunAndPrintsAccuracy()
    {
        string dir = Path.Combine(_root, "run");
        var (exit, stdout, stderr) = Ssm("train", "vision", "--family", "mambaout", "--data-dir",
            Path.Combine(_root, "data"), "--epochs", "1", "--batch", "16", "--threads", "1", "--dims", "8,16",
            "--depths", "1,1", "--out", dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("step 3/3", stderr);
        Assert.Contains("img/s", stderr);
        Assert.Contains("test acc", stdout);
        foreach (var f in new[] { "vision.json", "config.json", "model.safetensors", "epochs.csv" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.True(File.Exists(Path.Combine(dir, "curve.png")) || File.Exists(Path.Combine(dir, "curve.svg")));

        (exit, stdout, stderr) = Ssm("eval-vision", dir, "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"^mambaout: test accuracy \d+\.\d\d% \(\d+/12\), [\d.]+ images/s", stdout);
    }

    [Theory]
    [InlineData("--family", "resnet")]
    [InlineData("--dims", "8,x")]
    [InlineData("--dataset", "cifar10")]
    public void TrainVision_BadOption_ExitsWithUsageError(string option, string value)
    {
        var args = new List<string> { "train", "vision", "--family", "vssd", "--data-dir", Path.Combine(_root, "data"),
            "--out", Path.Combine(_root, "bad"), "--threads", "1" };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value;
        else args.AddRange([option, value]);
        var (exit, _, stderr) = Ssm([.. args]);
        Assert.Equal(2, exit);
        Assert.StartsWith("ssm train vision:", stderr);
    }

    [Fact]
    public void TrainVision_MissingData_NamesTheFetchScript()
    {
        var (exit, _, stderr) = Ssm("train", "vision", "--family", "vim", "--data-dir", Path.Combine(_root, "none"),
            "--out", Path.Combine(_root, "x"), "--threads", "1");
        Assert.Equal(2, exit);
        Assert.Contains("fetch-fashion-mnist.sh", stderr);
    }
}
