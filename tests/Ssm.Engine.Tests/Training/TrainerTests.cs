using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-trainer-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static Trainer Make(string? dir, ulong initSeed, int microBatches = 2,
        IReadOnlyList<string>? columns = null)
    {
        var init = new PhiloxRandom(initSeed, PhiloxRandom.Streams.Init);
        var ps = new ParameterSet([
            ("fc1.weight", init.Normal([3, 8], std: 0.5)),
            ("fc1.bias", Tensor.Zeros(8)),
            ("fc2.weight", init.Normal([8, 1], std: 0.5)),
        ]);
        var opt = new AdamW(ps, new AdamWOptions { WeightDecay = 0.05 });
        return new Trainer(ps, opt, new WarmupCosineSchedule(0.03, 2, 10, 0.003), new TrainerOptions
        {
            TotalSteps = 10, MicroBatches = microBatches, MaxGradNorm = 0.5, CheckpointEvery = 3,
            RunDirectory = dir, Seed = 21, MetricsColumns = columns ?? [],
        });
    }

    private static MicroBatchResult Regression(Trainer t)
    {
        var x = t.DataRandom.Uniform([8, 3], -1, 1);
        var xs = x.ToArray();
        var y = Tensor.FromArray(Enumerable.Range(0, 8).Select(b => xs[3 * b] - 2 * xs[3 * b + 1] * xs[3 * b + 2])
            .ToArray(), 8, 1);
        var pre = F.MatMul(x, t.Parameters["fc1.weight"]) + t.Parameters["fc1.bias"];
        var h = t.DropoutRandom.Dropout(F.Tanh(pre), 0.1);
        return new MicroBatchResult(F.Mean(F.Pow(F.MatMul(h, t.Parameters["fc2.weight"]) - y, 2)), 8);
    }

    [Fact]
    public void Run_InterruptedAndResumed_MatchesAnUninterruptedRun()
    {
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b");
        var straight = Make(a, 1);
        var seen = new List<TrainingMetrics>();
        straight.Run(Regression, seen.Add);
        Assert.Equal(10, seen.Count);
        Assert.Equal(160, straight.State.TokensSeen);
        Assert.True(File.Exists(Path.Combine(a, Trainer.MetricsFileName)));

        var first = Make(b, 1);
        first.Run(Regression, untilStep: 7); // checkpoints at 3, 6 and 7; metrics stay partial
        Assert.False(File.Exists(Path.Combine(b, Trainer.MetricsFileName)));
        var resumed = Make(b, 5);
        Assert.True(resumed.TryResume());
        Assert.Equal(7, resumed.State.Step);
        resumed.Run(Regression);

        var ra = MetricsCsvWriter.Read(Path.Combine(a, Trainer.MetricsFileName));
        var rb = MetricsCsvWriter.Read(Path.Combine(b, Trainer.MetricsFileName));
        Assert.Equal(ra.Select(r => (r.Step, r.Loss, r.LearningRate, r.GradNorm)),
            rb.Select(r => (r.Step, r.Loss, r.LearningRate, r.GradNorm)));
        Assert.Equal(straight.Parameters["fc2.weight"].ToArray(), resumed.Parameters["fc2.weight"].ToArray());
    }

    [Fact]
    public void Run_StopRequested_EndsAfterTheCurrentUpdateWithACheckpointThatResumesExactly()
    {
        string a = Path.Combine(_root, "straight"), b = Path.Combine(_root, "stopped");
        Make(a, 1).Run(Regression);
        using var stop = new CancellationTokenSource();
        var first = Make(b, 1);
        first.Run(Regression, m => { if (m.Step == 4) stop.Cancel(); }, stop: stop.Token);
        Assert.Equal(4, first.State.Step);                        // not 3 (checkpoint step) and not the end
        Assert.False(File.Exists(Path.Combine(b, Trainer.MetricsFileName)));    // the curve stays partial
        var resumed = Make(b, 5);
        Assert.True(resumed.TryResume());
        Assert.Equal(4, resumed.State.Step);
        resumed.Run(Regression, stop: CancellationToken.None);
        Assert.Equal(MetricsCsvWriter.Read(Path.Combine(a, Trainer.MetricsFileName)).Select(r => (r.Step, r.Loss)),
            MetricsCsvWriter.Read(Path.Combine(b, Trainer.MetricsFileName)).Select(r => (r.Step, r.Loss)));

        var never = Make(null, 1);
        never.Run(Regression, stop: new CancellationToken(canceled: true));
        Assert.Equal(0, never.State.Step);
    }

    [Fact]
    public void Run_Annotate_WritesExtraColumnsAndSurvivesResume()
    {
        string a = Path.Combine(_root, "annotated");
        // Every third step gets the squared norm of fc2 as an "eval" value; other rows leave the cell empty.
        TrainingMetrics Annotate(Trainer t, TrainingMetrics m) => m.Step % 3 != 0 ? m : m with
        {
            Extra = new Dictionary<string, double> { ["eval"] = t.Parameters["fc2.weight"].ToArray().Sum(v => v * v) },
        };
        var first = Make(a, 1, columns: ["eval"]);
        first.Run(Regression, untilStep: 4, annotate: m => Annotate(first, m));
        var resumed = Make(a, 1, columns: ["eval"]);
        Assert.True(resumed.TryResume());
        resumed.Run(Regression, annotate: m => Annotate(resumed, m));

        string[] lines = File.ReadAllLines(Path.Combine(a, Trainer.MetricsFileName));
        Assert.Equal("step,loss,lr,tokens_per_s,grad_norm,elapsed_s,eval", lines[0]);
        var rows = MetricsCsvWriter.Read(Path.Combine(a, Trainer.MetricsFileName));
        Assert.Equal(Enumerable.Range(1, 10).Select(s => (long)s), rows.Select(r => r.Step));
        Assert.All(rows, r => Assert.Equal(r.Step % 3 == 0, double.IsFinite(r.Extra!["eval"])));
        var straight = Make(null, 1);
        straight.Run(Regression, untilStep: 9);
        Assert.Equal(straight.Parameters["fc2.weight"].ToArray().Sum(v => v * v), rows[8].Extra!["eval"], 5);
    }

    [Fact]
    public void TrainStep_DivergingLossNamesTheStep()
    {
        var t = Make(null, 1, microBatches: 1);
        t.TrainStep(Regression);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            t.TrainStep(_ => new MicroBatchResult(Tensor.Full([], double.NaN).WithRequiresGrad(), 1)));
        Assert.Equal(1, e.Step);
    }

    [Fact]
    public void TryResume_WithoutFiles_ReturnsFalse()
    {
        Assert.False(Make(Path.Combine(_root, "empty"), 1).TryResume());
        Assert.False(Make(null, 1).TryResume());
    }

    [Fact]
    public void MaskedCrossEntropy_CountsOnlyMaskedPositions()
    {
        var task = new InductionHeadsTask(new InductionHeadsOptions { SequenceLength = 5, DataVocabSize = 3 });
        var batch = task.Sample(new PhiloxRandom(4), 2);
        var logits = new PhiloxRandom(5).Normal([2, 5, 4], dtype: DType.Float64);
        double loss = LanguageModelLoss.MaskedCrossEntropy(logits, batch).Item();
        double expected = 0;
        for (int b = 0; b < 2; b++)
        {
            var row = Enumerable.Range(0, 4).Select(v => logits[b, 4, v]).ToArray();
            double lse = Math.Log(row.Sum(Math.Exp));
            expected += lse - row[batch.TargetRow(b)[4]];
        }
        Assert.Equal(expected / 2, loss, 10);
        logits[0, 1, 2] = 100; // an unmasked position
        Assert.Equal(loss, LanguageModelLoss.MaskedCrossEntropy(logits, batch).Item(), 12);
    }
}
