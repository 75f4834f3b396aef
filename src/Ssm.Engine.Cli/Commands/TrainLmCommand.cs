using System.CommandLine;
using System.Globalization;
using Ssm.Engine.Cli.Training;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm train lm (--model DIR | --config FILE) --data FILE [--val FILE] [--tokenizer FILE] [--seq-len L]
/// [--batch B] [--steps N] [--lr X] [--warmup W] [--seed S] [--threads T] [--out DIR] [--eval-every K]
/// [--val-tokens V] [--checkpoint-every C] [--stop-after N]</c> or <c>ssm train lm --resume DIR</c>: trains (from a
/// config) or fine-tunes (a model directory) a Mamba-1, Mamba-2 or hybrid language model on a UTF-8 text file,
/// byte-level without a tokenizer. Writes the run directory (lm.json, config.json + model.safetensors,
/// tokenizer.json when used, trainer_state.safetensors, metrics.csv with val_loss / val_ppl, curve.png).
/// Exit codes: 0 done, 2 usage, data or I/O error.
/// </summary>
internal static class TrainLmCommand
{
    public static Command Create(CliContext ctx)
    {
        var d = new LmRunOptions { Data = "" };
        var model = new Option<string?>("--model") { Description = "Model directory to fine-tune" };
        var config = new Option<string?>("--config") { Description = "Model config.json to train from scratch" };
        var data = new Option<string?>("--data") { Description = "UTF-8 training text" };
        var val = new Option<string?>("--val") { Description = "UTF-8 validation text" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json (default: UTF-8 bytes)" };
        var seqLen = new Option<int>("--seq-len")
        {
            Description = "Tokens per training window", DefaultValueFactory = _ => d.SequenceLength,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Windows per update", DefaultValueFactory = _ => d.Batch,
        };
        var steps = new Option<long>("--steps")
        {
            Description = "Optimiser updates", DefaultValueFactory = _ => d.Steps,
        };
        var lr = new Option<double>("--lr")
        {
            Description = "Peak learning rate (warmup-cosine)", DefaultValueFactory = _ => d.LearningRate,
        };
        var warmup = new Option<long?>("--warmup") { Description = "Warmup updates (default 5 % of the steps)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed (init, windows)", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads (results are deterministic per thread count)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var output = new Option<string?>("--out") { Description = "Run directory (default runs/lm-SEED)" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory" };
        var evalEvery = new Option<int>("--eval-every")
        {
            Description = "Validate every K updates (and at the last)", DefaultValueFactory = _ => d.EvalEvery,
        };
        var valTokens = new Option<int>("--val-tokens")
        {
            Description = "Validation tokens scored per evaluation (0 = the whole file)",
            DefaultValueFactory = _ => d.ValTokens,
        };
        var ckpt = new Option<int>("--checkpoint-every")
        {
            Description = "Checkpoint every C updates", DefaultValueFactory = _ => d.CheckpointEvery,
        };
        var stopAfter = new Option<long?>("--stop-after") { Description = "Stop (resumably) after this update" };
        var cmd = new Command("lm", "Train or fine-tune a language model on a UTF-8 text file");
        foreach (Option o in new Option[]
                 {
                     model, config, data, val, tokenizer, seqLen, batch, steps, lr, warmup, seed, threads, output,
                     resume, evalEvery, valTokens, ckpt, stopAfter,
                 })
            cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            try
            {
                int t = p.GetValue(threads);
                if (t < 1) throw new ArgumentException($"--threads {t} must be at least 1");
                Par.MaxThreads = t;
                LmTrainingRun run;
                if (p.GetValue(resume) is { } dir) run = LmTrainingRun.Resume(dir);
                else
                {
                    if (p.GetValue(data) is not { } text) return Fail(ctx, "give --data FILE (or --resume DIR)");
                    var o = new LmRunOptions
                    {
                        Data = text, Val = p.GetValue(val), Tokenizer = p.GetValue(tokenizer),
                        InitModel = p.GetValue(model), ConfigFile = p.GetValue(config),
                        SequenceLength = p.GetValue(seqLen), Batch = p.GetValue(batch), Steps = p.GetValue(steps),
                        LearningRate = p.GetValue(lr), WarmupSteps = p.GetValue(warmup), Seed = p.GetValue(seed),
                        EvalEvery = p.GetValue(evalEvery), ValTokens = p.GetValue(valTokens),
                        CheckpointEvery = p.GetValue(ckpt),
                    };
                    run = LmTrainingRun.Open(o, p.GetValue(output) ?? Path.Combine("runs", $"lm-{o.Seed}"));
                }
                string curve = TaskRunner.Train(run, Describe(run), Title(run), ctx.Err, p.GetValue(stopAfter));
                var last = run.LastValidation;
                ctx.Out.WriteLine($"run directory: {run.Directory} (step {run.Trainer.State.Step}/{run.Options.Steps}, "
                    + $"curve {Path.GetFileName(curve)})"
                    + (last is null ? "" : string.Create(CultureInfo.InvariantCulture,
                        $"; validation loss {last.MeanNll:F4}, perplexity {last.Perplexity:F3}")));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or ModelConfigException
                                          or ModelConfigReadException or CheckpointException
                                          or TokenizerFormatException or NotSupportedException
                                          or Ssm.Engine.IO.SafetensorsException
                                          or System.Text.Json.JsonException)
            {
                return Fail(ctx, e.Message);
            }
        });
        return cmd;
    }

    /// <summary>The one-line summary printed before training.</summary>
    internal static string Describe(LmTrainingRun run)
    {
        var o = run.Options;
        var c = run.Model.Config;
        string kinds = string.Join("+", Enumerable.Range(0, c.NLayer).Select(c.KindOf).Distinct()
            .Select(k => k.ToString().ToLowerInvariant()));
        return string.Create(CultureInfo.InvariantCulture,
            $"training lm ({kinds}): {run.Model.ParameterCount():N0} parameters, d_model {c.DModel}, {c.NLayer} "
            + $"layers, vocab {c.VocabSize} ({(run.Tokenizer is null ? "bytes" : "tokenizer.json")}), "
            + $"{run.TrainData.Count:N0} training tokens, L = {o.SequenceLength}, batch {o.Batch}, {o.Steps} steps, "
            + $"lr {o.LearningRate}");
    }

    private static string Title(LmTrainingRun run)
    {
        var o = run.Options;
        string model = o.ConfigFile is { } c ? Path.GetFileNameWithoutExtension(c)
            : Path.GetFileName(Path.TrimEndingDirectorySeparator(o.InitModel ?? ""));
        return $"{model} on {Path.GetFileName(o.Data)} (seed {o.Seed})";
    }

    private static int Fail(CliContext ctx, string message)
    {
        ctx.Err.WriteLine($"ssm train lm: {message}");
        return 2;
    }
}
