using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ssm.Engine.Cli.Training;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Training;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm demo [--seed S] [--out DIR] [--steps N] [--sequences N] ...</c>: with nothing downloaded,
/// trains a small Mamba on induction heads (a few minutes on two cores), evaluates it in step mode at the
/// training length and at 16x and 256x that length, prints the accuracy table and keeps the run directory
/// (default <c>runs/demo-SEED</c>). Deterministic for a seed and thread count. Exit codes: 0 done, 2 usage or
/// I/O error.</summary>
internal static class DemoCommand
{
    /// <summary>The demo's run settings (tuned to learn reliably within the time budget).</summary>
    internal static readonly TaskRunOptions Defaults = new()
    {
        Task = SyntheticTask.InductionHeads, Steps = 600, Batch = 64, LearningRate = 3e-3, DModel = 64, Layers = 2,
        DState = 16, SequenceLength = 64, CheckpointEvery = 100, WeightDecay = 0.1,
    };

    public static Command Create(CliContext ctx)
    {
        var opts = new TaskOptionSet(Defaults);
        var seqs = new Option<int>("--sequences")
        {
            Description = "Evaluation sequences per length", DefaultValueFactory = _ => 64,
        };
        var factors = new Option<string>("--eval-factors")
        {
            Description = "Evaluation lengths as multiples of the training length",
            DefaultValueFactory = _ => "1,16,256",
        };
        var cmd = new Command("demo", "Train and evaluate a small induction-heads Mamba (no downloads, a few minutes)");
        opts.AddTo(cmd);
        cmd.Options.Add(seqs);
        cmd.Options.Add(factors);
        cmd.SetAction(p =>
        {
            try
            {
                opts.ApplyThreads(p);
                var o = opts.Read(p, SyntheticTask.InductionHeads);
                string dir = p.GetValue(opts.Out) ?? Path.Combine("runs", $"demo-{o.Seed}");
                var clock = Stopwatch.StartNew();
                var run = TaskTrainingRun.Open(o, dir);
                TaskRunner.Train(run, ctx.Err);
                var trained = clock.Elapsed;
                var lengths = TaskRunner.ParseLengths(p.GetValue(factors)!, 1)
                    .Select(f => checked(f * o.TrainLength)).ToArray();
                var rows = TaskRunner.Evaluate(dir, lengths, p.GetValue(seqs), 64, ctx.Err);
                TaskRunner.WriteTable(ctx.Out, o, rows);
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"trained {o.Steps} steps in {trained.TotalSeconds:F0}s, total {clock.Elapsed.TotalSeconds:F0}s; "
                    + $"run directory: {dir}"));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or ModelConfigException or CheckpointException
                                          or System.Text.Json.JsonException)
            {
                ctx.Err.WriteLine($"ssm demo: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
