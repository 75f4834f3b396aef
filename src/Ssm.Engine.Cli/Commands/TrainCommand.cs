using System.CommandLine;
using Ssm.Engine.Cli.Training;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm train selective-copying|induction-heads [--steps N] [--seed S] [--out DIR] [--ablation lti] [--batch B]
/// [--lr LR] [--d-model D] [--layers L] [--length L] [--init-from DIR] [--curriculum L:S,...] [--burn-in N] [--prefix N] [--threads T] [--stop-after N]</c> or
/// <c>ssm train --resume DIR</c>: trains a Mamba-1 model on a synthetic task and writes the run directory
/// (task.json, config.json + model.safetensors, trainer_state.safetensors, metrics.csv, curve.png). Deterministic
/// for a seed and thread count; a resumed run continues the exact curve. Exit codes: 0 done, 2 usage or I/O error.
/// <c>ssm train lm</c> (<see cref="TrainLmCommand"/>) trains a language model on a text file.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var task = new Argument<string?>("task")
        {
            Description = "selective-copying or induction-heads", Arity = ArgumentArity.ZeroOrOne,
        };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory" };
        var stopAfter = new Option<long?>("--stop-after") { Description = "Stop (resumably) after this update" };
        var timeLimit = new Option<double?>("--time-limit")
        {
            Description = "Stop (resumably, with a checkpoint) after this many minutes; SIGINT/SIGTERM stop the same way",
        };
        var opts = new TaskOptionSet(defaultsFor: null);
        var cmd = new Command("train", "Train a Mamba model on a synthetic task (selective copying, induction heads)");
        cmd.Arguments.Add(task);
        cmd.Subcommands.Add(TrainLmCommand.Create(ctx));
        cmd.Subcommands.Add(VisionTrainCommand.Create(ctx));
        cmd.Options.Add(resume);
        cmd.Options.Add(stopAfter);
        cmd.Options.Add(timeLimit);
        opts.AddTo(cmd);
        cmd.SetAction(p =>
        {
            try
            {
                opts.ApplyThreads(p);
                TaskTrainingRun run;
                if (p.GetValue(resume) is { } dir && File.Exists(Path.Combine(dir, LmRunOptions.FileName)))
                    return Fail(ctx, $"{dir} is a language-model run; use ssm train lm --resume {dir}");
                if (p.GetValue(resume) is { } taskDir) run = TaskTrainingRun.Resume(taskDir);
                else
                {
                    if (p.GetValue(task) is not { } name) return Fail(ctx, "give a task or --resume DIR");
                    var o = opts.Read(p, ParseTask(name));
                    run = TaskTrainingRun.Open(o, p.GetValue(opts.Out) ?? Path.Combine("runs", $"{name}-{o.Seed}"));
                }
                using var stop = GracefulStop.Create(p.GetValue(timeLimit));
                string curve = TaskRunner.Train(run, ctx.Err, p.GetValue(stopAfter), stop: stop.Token);
                ctx.Out.WriteLine($"run directory: {run.Directory} (step {run.Trainer.State.Step}/{run.Options.Steps}, "
                    + $"curve {Path.GetFileName(curve)})");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or ModelConfigException
                                          or System.Text.Json.JsonException)
            {
                return Fail(ctx, e.Message);
            }
        });
        return cmd;
    }

    internal static SyntheticTask ParseTask(string name) => name switch
    {
        "selective-copying" => SyntheticTask.SelectiveCopying,
        "induction-heads" => SyntheticTask.InductionHeads,
        _ => throw new ArgumentException($"unknown task '{name}' (selective-copying, induction-heads)"),
    };

    private static int Fail(CliContext ctx, string message)
    {
        ctx.Err.WriteLine($"ssm train: {message}");
        return 2;
    }
}

/// <summary>The model/optimiser options shared by <c>train</c> and <c>demo</c>.</summary>
internal sealed class TaskOptionSet
{
    public TaskOptionSet(TaskRunOptions? defaultsFor)
    {
        var d = defaultsFor ?? new TaskRunOptions();
        Steps = new Option<long>("--steps") { Description = "Optimiser updates", DefaultValueFactory = _ => d.Steps };
        Seed = new Option<ulong>("--seed")
        {
            Description = "Seed (init, data, eval)", DefaultValueFactory = _ => d.Seed,
        };
        Out = new Option<string?>("--out") { Description = "Run directory" };
        Ablation = new Option<string?>("--ablation") { Description = "lti: Δ, B, C independent of the input" };
        Batch = new Option<int>("--batch")
        {
            Description = "Sequences per update", DefaultValueFactory = _ => d.Batch,
        };
        Lr = new Option<double>("--lr")
        {
            Description = "Peak learning rate", DefaultValueFactory = _ => d.LearningRate,
        };
        DModel = new Option<int>("--d-model") { Description = "Model width", DefaultValueFactory = _ => d.DModel };
        Layers = new Option<int>("--layers") { Description = "Mamba blocks", DefaultValueFactory = _ => d.Layers };
        Length = new Option<int?>("--length") { Description = "Training sequence length (task default if absent)" };
        InitFrom = new Option<string?>("--init-from")
        {
            Description = "Start from the weights of this run directory (same model settings), e.g. a model "
                + "trained at a shorter length",
        };
        Curriculum = new Option<string?>("--curriculum")
        {
            Description = "Length curriculum LENGTH:STEPS,... (e.g. 32:1000,128:1000): shorter sequences first, the "
                + "remaining steps at the training length",
        };
        BurnIn = new Option<int>("--burn-in")
        {
            Description = "State passing: random data tokens run without gradient before each batch, which starts "
                + "from the state they leave",
        };
        Prefix = new Option<int>("--prefix")
        {
            Description = "Truncated BPTT: sequences are drawn N tokens longer; the first N run without gradient "
                + "and hand their state to the graded last L tokens",
        };
        PrefixSampling = new Option<string>("--prefix-sampling")
        {
            Description = "How each update's prefix length is drawn: fixed (always N), uniform or log-uniform "
                + "(in 0..N; log-uniform keeps short windows from the zero state as common as long ones), or mixed "
                + "(uniform or log-uniform, equally likely)",
            DefaultValueFactory = _ => "fixed",
        };
        PrefixSampling.AcceptOnlyFromAmong([.. TaskRunOptions.PrefixSamplingNames.Keys]);
        Threads = new Option<int>("--threads")
        {
            Description = "CPU threads (results are deterministic per thread count)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        Defaults = d;
    }

    public TaskRunOptions Defaults { get; }
    public Option<long> Steps { get; }
    public Option<ulong> Seed { get; }
    public Option<string?> Out { get; }
    public Option<string?> Ablation { get; }
    public Option<int> Batch { get; }
    public Option<double> Lr { get; }
    public Option<int> DModel { get; }
    public Option<int> Layers { get; }
    public Option<int?> Length { get; }
    public Option<string?> InitFrom { get; }
    public Option<string?> Curriculum { get; }
    public Option<int> BurnIn { get; }
    public Option<int> Prefix { get; }
    public Option<string> PrefixSampling { get; }
    public Option<int> Threads { get; }

    public void AddTo(Command cmd)
    {
        foreach (Option o in new Option[]
                 {
                     Steps, Seed, Out, Ablation, Batch, Lr, DModel, Layers, Length, InitFrom, Curriculum, BurnIn, Prefix,
                     PrefixSampling, Threads,
                 })
            cmd.Options.Add(o);
    }

    public void ApplyThreads(ParseResult p)
    {
        int t = p.GetValue(Threads);
        if (t < 1) throw new ArgumentException($"--threads {t} must be at least 1");
        Par.MaxThreads = t;
    }

    public TaskRunOptions Read(ParseResult p, SyntheticTask task) => Defaults with
    {
        Task = task, Steps = p.GetValue(Steps), Seed = p.GetValue(Seed), Batch = p.GetValue(Batch),
        LearningRate = p.GetValue(Lr), DModel = p.GetValue(DModel), Layers = p.GetValue(Layers),
        SequenceLength = p.GetValue(Length) ?? Defaults.SequenceLength,
        InitFrom = p.GetValue(InitFrom) is { } from ? Path.GetFullPath(from) : null,
        Curriculum = p.GetValue(Curriculum), BurnIn = p.GetValue(BurnIn),
        Prefix = p.GetValue(Prefix),
        PrefixSampling = TaskRunOptions.PrefixSamplingNames[p.GetValue(PrefixSampling)!],
        Selectivity = p.GetValue(Ablation) switch
        {
            null => SsmSelectivity.Selective,
            "lti" => SsmSelectivity.Lti,
            var a => throw new ArgumentException($"unknown ablation '{a}' (lti)"),
        },
    };
}
