using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public sealed class MetricsCsvWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ssm-metrics-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Append_GoesToPartial_CompletePublishesAtomically()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        using (var w = new MetricsCsvWriter(path, ["eval_acc"]))
        {
            w.Append(new TrainingMetrics(1, 2.5, 1e-3, 1234.5, 0.75, 0.1));
            var extra = new Dictionary<string, double> { ["eval_acc"] = 0.5 };
            w.Append(new TrainingMetrics(2, 2.25, 2e-3, 1300) { Extra = extra });
            Assert.False(File.Exists(path));
            Assert.Equal(3, File.ReadAllLines(w.PartialPath).Length);
            w.Complete();
            Assert.False(File.Exists(w.PartialPath));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal("step,loss,lr,tokens_per_s,grad_norm,elapsed_s,eval_acc", lines[0]);
        Assert.Equal("1,2.5,0.001,1234.5,0.75,0.1,", lines[1]);
        Assert.Equal("2,2.25,0.002,1300,,,0.5", lines[2]);
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(2.25, rows[1].Loss);
        Assert.True(double.IsNaN(rows[1].GradNorm));
        Assert.Equal(0.5, rows[1].Extra!["eval_acc"]);
    }

    [Fact]
    public void Resume_KeepsEarlierRowsAndDropsRowsFromTheResumePoint()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        using (var w = new MetricsCsvWriter(path))
            for (int s = 1; s <= 5; s++) w.Append(new TrainingMetrics(s, s, 0, 0));
        using (var w = new MetricsCsvWriter(path, resume: true, resumeFromStep: 4))
        {
            w.Append(new TrainingMetrics(4, 40, 0, 0));
            w.Complete();
        }
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal([1L, 2, 3, 4], rows.Select(r => r.Step));
        Assert.Equal(40, rows[^1].Loss);
    }
}
