using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Training;

/// <summary>One synthetic-task training run in a run directory: a Mamba-1 <see cref="CausalLm"/> initialised from
/// <see cref="PhiloxRandom.Streams.Init"/>, trained by <see cref="Trainer"/> (AdamW, warmup-cosine, clipping).
/// The directory holds <c>task.json</c>, <c>config.json</c> + <c>model.safetensors</c> (a native model directory
/// that <see cref="ModelLoader.Load"/> reads), <c>trainer_state.safetensors</c> and <c>metrics.csv</c>; every
/// file is written atomically. Opening a directory that already holds a checkpoint resumes it exactly.</summary>
public sealed class TaskTrainingRun
{
    private readonly Func<PhiloxRandom, int, Ssm.Engine.Training.Tasks.TokenBatch> _sample;

    private TaskTrainingRun(TaskRunOptions options, string directory)
    {
        options.Validate();
        (Options, Directory) = (options, directory);
        Model = BuildModel(options);
        var ps = new ParameterSet(Model.NamedParameters());
        var opt = new AdamW(ps, new AdamWOptions
        {
            LearningRate = options.LearningRate, WeightDecay = options.WeightDecay,
        });
        var schedule = new WarmupCosineSchedule(options.LearningRate, options.Warmup, options.Steps,
            options.LearningRate / 100);
        Trainer = new Trainer(ps, opt, schedule, new TrainerOptions
        {
            TotalSteps = options.Steps, RunDirectory = directory, CheckpointEvery = options.CheckpointEvery,
            Seed = options.Seed, MaxGradNorm = options.MaxGradNorm,
        });
        _sample = options.Sampler(options.TrainLength);
    }

    /// <summary>The run settings.</summary>
    public TaskRunOptions Options { get; }
    /// <summary>The run directory.</summary>
    public string Directory { get; }
    /// <summary>The trained model (parameters require gradients).</summary>
    public CausalLm Model { get; }
    /// <summary>The training loop.</summary>
    public Trainer Trainer { get; }
    /// <summary>Whether <see cref="Open"/> continued an existing checkpoint.</summary>
    public bool Resumed { get; private set; }

    /// <summary>Starts a run in <paramref name="directory"/> (created if needed; a checkpoint already there is
    /// resumed when its <c>task.json</c> equals <paramref name="options"/>).</summary>
    public static TaskTrainingRun Open(TaskRunOptions options, string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        if (File.Exists(Path.Combine(directory, TaskRunOptions.FileName))
            && TaskRunOptions.Load(directory) != options)
            throw new ArgumentException($"[task_run] {directory} holds a run with different settings; use resume");
        options.Validate();
        options.Save(directory);
        var run = new TaskTrainingRun(options, directory);
        AtomicConfig(run);
        run.Resumed = run.Trainer.TryResume();
        return run;
    }

    /// <summary>Continues the run stored in <paramref name="directory"/> with its own <c>task.json</c>.</summary>
    public static TaskTrainingRun Resume(string directory) => Open(TaskRunOptions.Load(directory), directory);

    /// <summary>The untrained model of <paramref name="options"/>: its initial weights depend only on the seed
    /// (drawn from the Philox init stream).</summary>
    public static CausalLm BuildModel(TaskRunOptions options)
    {
        int seed = new PhiloxRandom(options.Seed, PhiloxRandom.Streams.Init).NextSeed();
        var model = new CausalLm(options.ModelConfig(), seed);
        model.SetRequiresGrad(true);
        return model;
    }

    /// <summary>Trains until <paramref name="untilStep"/> (default: the end), then writes the model directory.
    /// <paramref name="onStep"/> sees each update's metrics.</summary>
    public void Train(Action<TrainingMetrics>? onStep = null, long? untilStep = null)
    {
        Trainer.Run(t =>
        {
            var batch = _sample(t.DataRandom, Options.Batch);
            var logits = Model.Forward(batch.InputIds());                      // (B, L, V_pad)
            return new MicroBatchResult(LanguageModelLoss.MaskedCrossEntropy(logits, batch),
                (long)batch.BatchSize * batch.Length);
        }, onStep, untilStep);
        Model.Save(Directory);
    }

    private static void AtomicConfig(TaskTrainingRun run) =>
        Ssm.Engine.IO.AtomicFile.WriteAllText(Path.Combine(run.Directory, "config.json"),
            CheckpointWriter.NativeConfigJson(run.Model.Config));
}
