using System.Globalization;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Training;

namespace Ssm.Engine.Cli.Training;

/// <summary>What <c>ssm train</c>, <c>ssm eval-task</c> and <c>ssm demo</c> share: training a
/// <see cref="TaskTrainingRun"/> behind the progress display, the curve plot, and the accuracy table.</summary>
public static class TaskRunner
{
    /// <summary>Curve file name inside the run directory (an .svg when PNG rendering is unavailable).</summary>
    public const string CurveFileName = "curve.png";

    /// <summary>Trains <paramref name="run"/> (to <paramref name="untilStep"/> or the end) with progress on
    /// <paramref name="stderr"/> (or a bar on a terminal), then writes the curve; returns the curve path.
    /// </summary>
    public static string Train(TaskTrainingRun run, TextWriter stderr, long? untilStep = null,
        bool? interactive = null, CancellationToken stop = default)
    {
        var o = run.Options;
        string what = string.Create(CultureInfo.InvariantCulture,
            $"training {Name(o.Task)}: {run.Model.ParameterCount():N0} parameters, d_model {o.DModel}, "
            + $"{o.Layers} layers, L = {o.TrainLength}{After(o)}, batch {o.Batch}, {o.Steps} steps, "
            + $"lr {o.LearningRate}");
        return Train(run, what, $"{Name(o.Task)} (seed {o.Seed})", stderr, untilStep, interactive, stop);
    }

    private static string After(TaskRunOptions o) => o.Curriculum is { } c ? $" after the curriculum {c}" : "";

    /// <summary>Trains any <see cref="TrainingRun"/> behind the progress display: <paramref name="description"/>
    /// is printed first, evaluation columns of a step (metrics extras) are logged as they arrive, and the curve
    /// (titled <paramref name="title"/>) is written at the end; returns the curve path.</summary>
    public static string Train(TrainingRun run, string description, string title, TextWriter stderr,
        long? untilStep = null, bool? interactive = null, CancellationToken stop = default)
    {
        long total = run.Trainer.Options.TotalSteps;
        if (run.Resumed) stderr.WriteLine($"resuming {run.Directory} at step {run.Trainer.State.Step}");
        stderr.WriteLine(description);
        TrainingProgress.Run(total, run.Trainer.State.Step,
            p => run.Train(m =>
            {
                p.Report(m.Step, m.Loss, m.TokensPerSecond);
                if (m.Extra is { Count: > 0 } extra)
                    p.Log($"step {m.Step}: " + string.Join("  ", extra.Select(kv =>
                        string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}"))));
            }, untilStep, stop),
            interactive ?? (ReferenceEquals(stderr, Console.Error) ? null : false), stderr,
            plainEvery: (int)Math.Max(1, total / 20));
        string csv = Path.Combine(run.Directory, Trainer.MetricsFileName);
        var rows = MetricsCsvWriter.Read(File.Exists(csv) ? csv : csv + ".partial");    // stopped early: partial
        return CurvePlot.Save(rows, Path.Combine(run.Directory, CurveFileName), title);
    }

    /// <summary>Evaluates the model of a run directory at each length; returns one row per length.</summary>
    public static IReadOnlyList<LengthAccuracy> Evaluate(string dir, IEnumerable<int> lengths, int sequences,
        int batch, TextWriter stderr)
    {
        var options = TaskRunOptions.Load(dir);
        var model = ModelLoader.Load(dir).Model;
        var rows = new List<LengthAccuracy>();
        foreach (int l in lengths)
        {
            stderr.WriteLine($"evaluating {sequences} sequences of length {l} (step mode)");
            rows.Add(TaskEvaluator.Evaluate(model, options, l, sequences, batch));
        }
        return rows;
    }

    /// <summary>Writes the accuracy table (plain text, one row per length).</summary>
    public static void WriteTable(TextWriter w, TaskRunOptions options, IReadOnlyList<LengthAccuracy> rows)
    {
        w.WriteLine($"{Name(options.Task)} accuracy (trained at L = {options.TrainLength}):");
        w.WriteLine($"{"length",10}  {"x train",8}  {"token acc",9}  {"seq acc",8}  {"scored",7}  {"time",8}");
        foreach (var r in rows)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Length,10}  {(double)r.Length / options.TrainLength,8:0.##}  "
                + $"{r.Result.TokenAccuracy * 100,8:F1}%  {r.Result.SequenceAccuracy * 100,7:F1}%  "
                + $"{r.Result.Total,7}  {r.Elapsed.TotalSeconds,7:F1}s"));
    }

    /// <summary>The command-line name of a task.</summary>
    public static string Name(SyntheticTask t) =>
        t == SyntheticTask.InductionHeads ? "induction-heads" : "selective-copying";

    /// <summary>Parses a comma-separated list of integers, each at least <paramref name="min"/>.</summary>
    public static int[] ParseLengths(string text, int min = 3)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var o = parts.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (o.Length == 0 || o.Any(l => l < min))
            throw new FormatException($"'{text}' must be integers >= {min}");
        return o;
    }
}
