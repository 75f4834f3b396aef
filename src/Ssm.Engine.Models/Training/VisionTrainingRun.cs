using System.Diagnostics;
using System.Globalization;
using Ssm.Engine.IO;
using Ssm.Engine.Ops;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Training;

/// <summary>One finished epoch: mean training loss, test accuracy, training wall time and throughputs.</summary>
public sealed record EpochResult(int Epoch, long Step, double TrainLoss, double TestAccuracy, double TrainSeconds,
    double TrainImagesPerSecond, double EvalImagesPerSecond);

/// <summary>An image-classification run in a run directory: a <see cref="VisionModels"/> classifier trained by
/// <see cref="Trainer"/> (AdamW, warmup-cosine, clipping, label-smoothed cross-entropy) one epoch at a time, each
/// epoch followed by a test-set evaluation and a checkpoint. The directory holds <c>vision.json</c>,
/// <c>config.json</c> (the model), <c>model.safetensors</c>, <c>trainer_state.safetensors</c>, <c>metrics.csv</c>
/// (per update) and <c>epochs.csv</c> (per epoch); every file is written atomically and opening a directory that
/// holds a checkpoint resumes it at the last finished epoch.</summary>
public sealed class VisionTrainingRun
{
    /// <summary>Per-epoch results file.</summary>
    public const string EpochsFileName = "epochs.csv";

    /// <summary>Model config file.</summary>
    public const string ConfigFileName = "config.json";

    private readonly ImageBatcher _train, _test;
    private readonly List<EpochResult> _epochs = [];
    private int[]? _order;
    private int _orderEpoch = -1;

    private VisionTrainingRun(VisionRunOptions options, string directory, ImageDataset train, ImageDataset test)
    {
        (Options, Directory) = (options, directory);
        if (options.TrainLimit > 0) train = train.Take(options.TrainLimit);
        if (options.TestLimit > 0) test = test.Take(options.TestLimit);
        if (train.Count < options.Batch)
            throw new ArgumentException(
                $"[vision_run] {train.Count} training images are fewer than batch {options.Batch}");
        if (train.Height * options.Upsample != options.Model.ImageSize)
            throw new ArgumentException($"[vision_run] images of {train.Height}×{train.Width} upsampled " +
                $"{options.Upsample}× do not match the model's image size {options.Model.ImageSize}");
        _train = new ImageBatcher(train, options.PixelMean, options.PixelStd, options.Upsample,
            maxShift: options.Augment ? 2 : 0);
        _test = new ImageBatcher(test, options.PixelMean, options.PixelStd, options.Upsample);
        StepsPerEpoch = train.Count / options.Batch;
        Model = BuildModel(options);
        var ps = new ParameterSet(Model.NamedParameters());
        var opt = new AdamW(ps, new AdamWOptions
        {
            LearningRate = options.LearningRate, WeightDecay = options.WeightDecay,
            DecayRule = WeightDecayRule.MambaDefaultAnd("A_logs", "Ds", "A_b_log", "D_b", "cls_token"),
        });
        long total = (long)StepsPerEpoch * options.Epochs;
        var schedule = new WarmupCosineSchedule(options.LearningRate, Math.Min(options.Warmup, total - 1), total,
            options.LearningRate / 100);
        Trainer = new Trainer(ps, opt, schedule, new TrainerOptions
        {
            TotalSteps = total, RunDirectory = directory, Seed = options.Seed, MaxGradNorm = options.MaxGradNorm,
        });
    }

    /// <summary>The run settings.</summary>
    public VisionRunOptions Options { get; }
    /// <summary>The run directory.</summary>
    public string Directory { get; }
    /// <summary>The trained model (parameters require gradients).</summary>
    public ImageClassifier Model { get; }
    /// <summary>The training loop.</summary>
    public Trainer Trainer { get; }
    /// <summary>Updates per epoch (the last partial batch is dropped).</summary>
    public int StepsPerEpoch { get; }
    /// <summary>Training images used per epoch.</summary>
    public int TrainImages => _train.Data.Count;
    /// <summary>Whether <see cref="Open"/> continued an existing checkpoint.</summary>
    public bool Resumed { get; private set; }
    /// <summary>Finished epochs (including those of a resumed run).</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;
    /// <summary>Completed epochs.</summary>
    public int EpochsDone => (int)(Trainer.State.Step / StepsPerEpoch);

    /// <summary>Starts (or resumes) a run in <paramref name="directory"/>; the datasets are read from
    /// <see cref="VisionRunOptions.DataDir"/> unless given.</summary>
    public static VisionTrainingRun Open(VisionRunOptions options, string directory, ImageDataset? train = null,
        ImageDataset? test = null)
    {
        options.Validate();
        System.IO.Directory.CreateDirectory(directory);
        if (File.Exists(Path.Combine(directory, VisionRunOptions.FileName))
            && !VisionRunOptions.Load(directory).SameAs(options))
            throw new ArgumentException($"[vision_run] {directory} holds a run with different settings; use --resume");
        train ??= FashionMnist.Load(options.DataDir, train: true);
        test ??= FashionMnist.Load(options.DataDir, train: false);
        options.Save(directory);
        var run = new VisionTrainingRun(options, directory, train, test);
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), options.Model.ToJson());
        run.Resumed = run.Trainer.TryResume();
        if (run.Resumed) run._epochs.AddRange(ReadEpochs(Path.Combine(directory, EpochsFileName)));
        return run;
    }

    /// <summary>Continues the run stored in <paramref name="directory"/>.</summary>
    public static VisionTrainingRun Resume(string directory) => Open(VisionRunOptions.Load(directory), directory);

    /// <summary>The untrained model: its weights depend only on the seed (Philox init stream).</summary>
    public static ImageClassifier BuildModel(VisionRunOptions options)
    {
        int seed = new PhiloxRandom(options.Seed, PhiloxRandom.Streams.Init).NextSeed();
        var model = VisionModels.Create(options.Model, seed);
        model.SetRequiresGrad(true);
        return model;
    }

    /// <summary>Trains the remaining epochs (or up to <paramref name="stopAfterEpoch"/>); after each one evaluates
    /// on the test set, checkpoints and appends to <c>epochs.csv</c>.</summary>
    public void Train(Action<TrainingMetrics>? onStep = null, Action<EpochResult>? onEpoch = null,
        int? stopAfterEpoch = null)
    {
        int last = Math.Min(stopAfterEpoch ?? Options.Epochs, Options.Epochs);
        while (EpochsDone < last)
        {
            int epoch = EpochsDone;
            double lossSum = 0;
            long steps = 0, startStep = Trainer.State.Step;
            var clock = Stopwatch.StartNew();
            Trainer.Run(MicroBatch, m =>
            {
                lossSum += m.Loss;
                steps++;
                onStep?.Invoke(m);
            }, untilStep: (long)(epoch + 1) * StepsPerEpoch);
            double seconds = clock.Elapsed.TotalSeconds;
            var eval = VisionEvaluator.Evaluate(Model, _test, Math.Max(Options.Batch, 100));
            var r = new EpochResult(epoch + 1, Trainer.State.Step, steps > 0 ? lossSum / steps : double.NaN,
                eval.Accuracy, seconds, (Trainer.State.Step - startStep) * Options.Batch / Math.Max(seconds, 1e-9),
                eval.ImagesPerSecond);
            _epochs.Add(r);
            WriteEpochs(Path.Combine(Directory, EpochsFileName), _epochs);
            onEpoch?.Invoke(r);
        }
    }

    private MicroBatchResult MicroBatch(Trainer t)
    {
        long step = t.State.Step;
        int epoch = (int)(step / StepsPerEpoch), pos = (int)(step % StepsPerEpoch);
        if (_orderEpoch != epoch)
        {
            _order = ImageBatcher.EpochOrder(_train.Data.Count, Options.Seed, epoch);
            _orderEpoch = epoch;
        }
        var idx = _order.AsSpan(pos * Options.Batch, Options.Batch);
        var x = _train.Images(idx, Options.Augment ? t.DataRandom : null);        // (B, 1, S, S)
        var logits = Model.Logits(x);                                              // (B, classes)
        return new MicroBatchResult(F.CrossEntropy(logits, _train.Labels(idx), Options.LabelSmoothing),
            Options.Batch);
    }

    private const string Header = "epoch,step,train_loss,test_accuracy,train_seconds,train_images_per_s," +
        "eval_images_per_s";

    private static void WriteEpochs(string path, IEnumerable<EpochResult> rows)
    {
        var lines = rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Epoch},{r.Step},{r.TrainLoss:R},{r.TestAccuracy:R},{r.TrainSeconds:R},{r.TrainImagesPerSecond:R}," +
            $"{r.EvalImagesPerSecond:R}"));
        AtomicFile.WriteAllText(path, string.Join('\n', lines.Prepend(Header)) + "\n");
    }

    /// <summary>Reads <c>epochs.csv</c> (empty when absent).</summary>
    public static List<EpochResult> ReadEpochs(string path)
    {
        if (!File.Exists(path)) return [];
        var rows = new List<EpochResult>();
        foreach (var line in File.ReadLines(path).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            if (f.Length != 7) throw new InvalidDataException($"[vision_run] {path}: malformed row '{line}'");
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            rows.Add(new EpochResult(int.Parse(f[0], CultureInfo.InvariantCulture),
                long.Parse(f[1], CultureInfo.InvariantCulture), D(2), D(3), D(4), D(5), D(6)));
        }
        return rows;
    }
}
