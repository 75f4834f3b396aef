using System.CommandLine;
using System.Globalization;
using Ssm.Engine.Cli.Training;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm train vision --family vim|vmamba|vssd|mambaout|vit [--dataset fashion-mnist] [--data-dir DIR] [--epochs E]
/// [--seed S] [--out DIR] [--threads T] [--batch B] [--lr LR] [--dims 32,64] [--depths 2,2] [--d-state N]
/// [--patch P] [--upsample U] [--train-limit N] [--test-limit N] [--no-augment] [--stop-after-epoch E]</c> or
/// <c>ssm train vision --resume DIR</c>: trains an image classifier, evaluating on the test set after every epoch,
/// and writes the run directory (vision.json, config.json, model.safetensors, trainer_state.safetensors,
/// metrics.csv, epochs.csv, curve.png). Exit codes: 0 done, 2 usage or I/O error.
/// </summary>
internal static class VisionTrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var family = new Option<string?>("--family") { Description = "vim, vmamba, vssd, mambaout or vit" };
        var dataset = new Option<string>("--dataset")
        {
            Description = "Dataset (fashion-mnist)", DefaultValueFactory = _ => "fashion-mnist",
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory of the IDX files", DefaultValueFactory = _ => FashionMnist.DefaultDirectory,
        };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the data", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed (init, order, augmentation)" };
        var outDir = new Option<string?>("--out") { Description = "Run directory (default runs/vision-FAMILY-SEED)" };
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var batch = new Option<int>("--batch") { Description = "Images per update", DefaultValueFactory = _ => 64 };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default 2e-3)" };
        var dims = new Option<string?>("--dims") { Description = "Channels per stage, e.g. 32,64" };
        var depths = new Option<string?>("--depths") { Description = "Blocks per stage, e.g. 2,2" };
        var dState = new Option<int?>("--d-state") { Description = "SSM state size" };
        var patch = new Option<int?>("--patch") { Description = "Patch size (vim, vit) or stem stride 2|4" };
        var upsample = new Option<int>("--upsample")
        {
            Description = "Upsample images by this factor per side", DefaultValueFactory = _ => 1,
        };
        var trainLimit = new Option<int>("--train-limit") { Description = "Use the first N training images" };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on the first N test images" };
        var noAugment = new Option<bool>("--no-augment") { Description = "No random shift / flip" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory" };
        var stopAfter = new Option<int?>("--stop-after-epoch") { Description = "Stop (resumably) after this epoch" };
        var cmd = new Command("vision",
            "Train an image classifier (Vim, VMamba, VSSD, MambaOut, ViT) on Fashion-MNIST");
        foreach (Option o in new Option[]
        {
            family, dataset, dataDir, epochs, seed, outDir, threads, batch, lr, dims, depths, dState, patch, upsample,
            trainLimit, testLimit, noAugment, resume, stopAfter,
        })
            cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            try
            {
                int t = p.GetValue(threads);
                if (t < 1) throw new ArgumentException($"--threads {t} must be at least 1");
                Par.MaxThreads = t;
                VisionTrainingRun run;
                if (p.GetValue(resume) is { } dir) run = VisionTrainingRun.Resume(dir);
                else
                {
                    if (p.GetValue(family) is not { } name) return Fail(ctx, "give --family or --resume DIR");
                    var f = VisionFamilyNames.Parse(name);
                    var m = VisionModelConfig.Small(f);
                    int u = p.GetValue(upsample);
                    m = m with
                    {
                        ImageSize = 28 * u,
                        Dims = p.GetValue(dims) is { } ds ? ParseInts(ds, "--dims") : m.Dims,
                        Depths = p.GetValue(depths) is { } dp ? ParseInts(dp, "--depths") : m.Depths,
                        DState = p.GetValue(dState) ?? m.DState,
                        PatchSize = p.GetValue(patch) ?? m.PatchSize,
                    };
                    var o = new VisionRunOptions
                    {
                        Model = m, Dataset = p.GetValue(dataset)!, DataDir = p.GetValue(dataDir)!,
                        Epochs = p.GetValue(epochs), Batch = p.GetValue(batch), Seed = p.GetValue(seed),
                        LearningRate = p.GetValue(lr) ?? 2e-3, Upsample = u, Augment = !p.GetValue(noAugment),
                        TrainLimit = p.GetValue(trainLimit), TestLimit = p.GetValue(testLimit),
                    };
                    run = VisionTrainingRun.Open(o, p.GetValue(outDir)
                        ?? Path.Combine("runs", $"vision-{name.ToLowerInvariant()}-{o.Seed}"));
                }
                string curve = VisionRunner.Train(run, ctx.Err, p.GetValue(stopAfter));
                if (run.Epochs.Count > 0) ctx.Out.WriteLine(VisionRunner.Line(run.Epochs[^1]));
                ctx.Out.WriteLine($"run directory: {run.Directory} (epoch {run.EpochsDone}/{run.Options.Epochs}, " +
                    $"curve {Path.GetFileName(curve)})");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or System.Text.Json.JsonException)
            {
                return Fail(ctx, e.Message);
            }
        });
        return cmd;
    }

    internal static int[] ParseInts(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var v = parts.Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            ? x : throw new FormatException($"{option} '{text}' must be comma-separated integers")).ToArray();
        return v.Length > 0 ? v : throw new FormatException($"{option} '{text}' is empty");
    }

    private static int Fail(CliContext ctx, string message)
    {
        ctx.Err.WriteLine($"ssm train vision: {message}");
        return 2;
    }
}

/// <summary><c>ssm eval-vision DIR [--batch B] [--threads T] [--data-dir DIR] [--limit N]</c>: loads a run directory
/// written by <c>ssm train vision</c>, classifies the test set and prints the accuracy and images/s.</summary>
internal static class EvalVisionCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("dir") { Description = "Run directory" };
        var batch = new Option<int>("--batch") { Description = "Images per forward", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "Dataset directory (default: the run's)" };
        var limit = new Option<int>("--limit") { Description = "Evaluate the first N test images (0 = all)" };
        var cmd = new Command("eval-vision", "Test accuracy and inference images/s of a vision run directory");
        cmd.Arguments.Add(dir);
        foreach (Option o in new Option[] { batch, threads, dataDir, limit }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            try
            {
                int t = p.GetValue(threads);
                if (t < 1) throw new ArgumentException($"--threads {t} must be at least 1");
                Par.MaxThreads = t;
                var (model, o) = VisionEvaluator.Load(p.GetValue(dir)!);
                var test = FashionMnist.Load(p.GetValue(dataDir) ?? o.DataDir, train: false);
                if (p.GetValue(limit) > 0) test = test.Take(p.GetValue(limit));
                var r = VisionEvaluator.Evaluate(model, new ImageBatcher(test, o.PixelMean, o.PixelStd, o.Upsample),
                    p.GetValue(batch));
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{VisionFamilyNames.Name(o.Model.Family)}: test accuracy {r.Accuracy * 100:F2}% " +
                    $"({r.Correct}/{r.Total}), {r.ImagesPerSecond:F1} images/s ({t} threads, " +
                    $"batch {p.GetValue(batch)})"));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or System.Text.Json.JsonException)
            {
                ctx.Err.WriteLine($"ssm eval-vision: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
