using System.Globalization;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Training;

namespace Ssm.Engine.Cli.Training;

/// <summary>What <c>ssm train vision</c> runs: a <see cref="VisionTrainingRun"/> behind the progress display, one
/// line per finished epoch (test accuracy, throughput) and the loss curve.</summary>
public static class VisionRunner
{
    /// <summary>Trains <paramref name="run"/> (up to <paramref name="stopAfterEpoch"/> or the end) with progress on
    /// <paramref name="stderr"/>; returns the curve path.</summary>
    public static string Train(VisionTrainingRun run, TextWriter stderr, int? stopAfterEpoch = null,
        bool? interactive = null)
    {
        var o = run.Options;
        string family = VisionFamilyNames.Name(o.Model.Family);
        if (run.Resumed) stderr.WriteLine($"resuming {run.Directory} after epoch {run.EpochsDone}");
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {family} on {o.Dataset}: {run.Model.ParameterCount():N0} parameters, {run.TrainImages:N0} " +
            $"images/epoch, {run.StepsPerEpoch} steps/epoch, {o.Epochs} epochs, batch {o.Batch}, " +
            $"lr {o.LearningRate}, {Ssm.Engine.Tensors.Par.MaxThreads} threads"));
        long total = (long)run.StepsPerEpoch * o.Epochs;
        TrainingProgress.Run(total, run.Trainer.State.Step, p => run.Train(
                m => p.Report(m.Step, m.Loss, m.TokensPerSecond),
                e => p.Log(Line(e)), stopAfterEpoch),
            interactive ?? (ReferenceEquals(stderr, Console.Error) ? null : false), stderr,
            plainEvery: (int)Math.Max(1, run.StepsPerEpoch / 10), unit: "img/s");
        string csv = Path.Combine(run.Directory, Trainer.MetricsFileName);
        var rows = MetricsCsvWriter.Read(File.Exists(csv) ? csv : csv + ".partial");
        return CurvePlot.Save(rows, Path.Combine(run.Directory, TaskRunner.CurveFileName),
            $"{family} on {o.Dataset} (seed {o.Seed})");
    }

    /// <summary>One epoch line: <c>epoch 2/5  loss 0.5123  test acc 89.41%  train 123 img/s  eval 456 img/s  …</c>.
    /// </summary>
    public static string Line(EpochResult e) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {e.Epoch}  step {e.Step}  train loss {e.TrainLoss:F4}  test acc {e.TestAccuracy * 100:F2}%  " +
        $"train {e.TrainImagesPerSecond:F1} img/s ({e.TrainSeconds:F0} s)  eval {e.EvalImagesPerSecond:F1} img/s");
}
