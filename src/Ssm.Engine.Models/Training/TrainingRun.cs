using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Training;

/// <summary>Optimiser and loop settings shared by every training run: AdamW with a warmup-cosine schedule (down
/// to 1 % of the peak), global-norm clipping, periodic checkpoints.</summary>
public sealed record RunSchedule
{
    /// <summary>Optimiser updates.</summary>
    public required long Steps { get; init; }
    /// <summary>Peak learning rate.</summary>
    public required double LearningRate { get; init; }
    /// <summary>Warmup updates.</summary>
    public required long Warmup { get; init; }
    /// <summary>AdamW weight decay (norms, biases and 1-D parameters excluded by the optimiser's rules).</summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Checkpoint every this many updates (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Seed of the data and dropout streams.</summary>
    public ulong Seed { get; init; }
    /// <summary>Extra metrics columns the run fills (see <see cref="TrainingRun.Annotate"/>).</summary>
    public IReadOnlyList<string> MetricsColumns { get; init; } = [];
}

/// <summary>A training run in a run directory: a <see cref="CausalLm"/> trained by <see cref="Trainer"/>. The
/// directory is a native model directory (<c>config.json</c> + <c>model.safetensors</c>, readable by
/// <see cref="ModelLoader.Load"/>) plus <c>trainer_state.safetensors</c> and <c>metrics.csv</c>; every file is
/// written atomically and a directory that already holds a checkpoint is resumed exactly. Subclasses supply the
/// micro-batches and, optionally, periodic evaluation.</summary>
public abstract class TrainingRun
{
    /// <summary>Builds the optimiser, schedule and trainer over <paramref name="model"/>'s parameters.</summary>
    protected TrainingRun(CausalLm model, string directory, RunSchedule schedule)
    {
        (Model, Directory) = (model, directory);
        var ps = new ParameterSet(model.NamedParameters());
        var opt = new AdamW(ps, new AdamWOptions
        {
            LearningRate = schedule.LearningRate, WeightDecay = schedule.WeightDecay,
        });
        var lr = new WarmupCosineSchedule(schedule.LearningRate, schedule.Warmup, schedule.Steps,
            schedule.LearningRate / 100);
        Trainer = new Trainer(ps, opt, lr, new TrainerOptions
        {
            TotalSteps = schedule.Steps, RunDirectory = directory, CheckpointEvery = schedule.CheckpointEvery,
            Seed = schedule.Seed, MaxGradNorm = schedule.MaxGradNorm, MetricsColumns = schedule.MetricsColumns,
        });
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }
    /// <summary>The trained model (parameters require gradients).</summary>
    public CausalLm Model { get; }
    /// <summary>The training loop.</summary>
    public Trainer Trainer { get; }
    /// <summary>Whether opening the run continued an existing checkpoint.</summary>
    public bool Resumed { get; private set; }

    /// <summary>A model of <paramref name="config"/> whose initial weights depend only on
    /// <paramref name="seed"/> (drawn from the Philox init stream); its parameters require gradients.</summary>
    public static CausalLm NewModel(ModelConfig config, ulong seed)
    {
        int s = new PhiloxRandom(seed, PhiloxRandom.Streams.Init).NextSeed();
        var model = new CausalLm(config, s);
        model.SetRequiresGrad(true);
        return model;
    }

    /// <summary>Trains until <paramref name="untilStep"/> (default: the end) or until <paramref name="stop"/> is
    /// cancelled (after the update in progress; resumable), then writes the checkpoint and the model directory.
    /// <paramref name="onStep"/> sees each update's metrics (after <see cref="Annotate"/>).</summary>
    public void Train(Action<TrainingMetrics>? onStep = null, long? untilStep = null, CancellationToken stop = default)
    {
        Trainer.Run(NextMicroBatch, onStep, untilStep, Annotate, stop);
        Model.Save(Directory);
    }

    /// <summary>One micro-batch: data drawn from <see cref="Trainer.DataRandom"/>, loss attached to the graph.
    /// </summary>
    protected abstract MicroBatchResult NextMicroBatch(Trainer trainer);

    /// <summary>Adds evaluation columns to an update's metrics before they are written (default: none). Must
    /// not draw from the data stream.</summary>
    protected virtual TrainingMetrics Annotate(TrainingMetrics metrics) => metrics;

    /// <summary>Writes <c>config.json</c> and resumes the checkpoint in the directory when there is one; call
    /// once at the end of opening a run.</summary>
    protected void WriteConfigAndResume()
    {
        AtomicFile.WriteAllText(Path.Combine(Directory, "config.json"),
            CheckpointWriter.NativeConfigJson(Model.Config));
        Resumed = Trainer.TryResume();
    }
}
