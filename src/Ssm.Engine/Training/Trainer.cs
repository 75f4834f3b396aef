using System.Diagnostics;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Settings of a <see cref="Trainer"/> run.</summary>
public sealed record TrainerOptions
{
    /// <summary>Optimiser updates of the whole run.</summary>
    public long TotalSteps { get; init; } = 1000;
    /// <summary>Micro-batches accumulated per update.</summary>
    public int MicroBatches { get; init; } = 1;
    /// <summary>Global gradient-norm limit; 0 or less disables clipping (the norm is still measured).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Save a checkpoint every this many updates (0 = only at the end of <see cref="Trainer.Run"/>).
    /// </summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Directory for <c>model.safetensors</c>, <c>trainer_state.safetensors</c> and <c>metrics.csv</c>;
    /// null keeps nothing on disk.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Seed of the data and dropout streams (<see cref="PhiloxRandom.Streams"/>).</summary>
    public ulong Seed { get; init; }
    /// <summary>Extra metrics columns (e.g. validation loss) that the <c>annotate</c> callback of
    /// <see cref="Trainer.Run"/> fills; a row without a value leaves the cell empty.</summary>
    public IReadOnlyList<string> MetricsColumns { get; init; } = [];
}

/// <summary>What one micro-batch produced: its scalar loss (still attached to the graph) and its token count.
/// </summary>
public readonly record struct MicroBatchResult(Tensor Loss, long Tokens);

/// <summary>A model-independent training loop: per update it sets the scheduled learning rate, accumulates
/// micro-batches, guards against NaN/Inf, clips, steps the optimiser, writes metrics and checkpoints, and can
/// resume a run directory exactly. The model side supplies the parameters and a micro-batch function that
/// draws its data from <see cref="DataRandom"/> (and dropout masks from <see cref="DropoutRandom"/>).</summary>
public sealed class Trainer
{
    /// <summary>Weights file name inside the run directory.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>Metrics file name inside the run directory.</summary>
    public const string MetricsFileName = "metrics.csv";

    private readonly GradientAccumulator _accumulator;

    /// <summary>A trainer; the optimiser must be built over <paramref name="parameters"/>.</summary>
    public Trainer(ParameterSet parameters, Optimizer optimizer, ILrSchedule schedule, TrainerOptions options)
    {
        if (!ReferenceEquals(optimizer.Parameters, parameters))
            throw new ArgumentException("[trainer] the optimiser was built over a different parameter set");
        if (options.TotalSteps < 1) throw new ArgumentException($"[trainer] total steps {options.TotalSteps} < 1");
        (Parameters, Optimizer, Schedule, Options) = (parameters, optimizer, schedule, options);
        _accumulator = new GradientAccumulator(parameters, options.MicroBatches);
        DataRandom = new PhiloxRandom(options.Seed, PhiloxRandom.Streams.Data);
        DropoutRandom = new PhiloxRandom(options.Seed, PhiloxRandom.Streams.Dropout);
    }

    /// <summary>The trained parameters.</summary>
    public ParameterSet Parameters { get; }
    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>The learning-rate schedule.</summary>
    public ILrSchedule Schedule { get; }
    /// <summary>The run settings.</summary>
    public TrainerOptions Options { get; }
    /// <summary>Stream for training data (saved in checkpoints).</summary>
    public PhiloxRandom DataRandom { get; }
    /// <summary>Stream for dropout masks (saved in checkpoints).</summary>
    public PhiloxRandom DropoutRandom { get; }
    /// <summary>Counters; <see cref="TrainerState.Step"/> is the number of completed updates.</summary>
    public TrainerState State { get; private set; } = new();

    /// <summary>Loads <c>model.safetensors</c> and <c>trainer_state.safetensors</c> from the run directory when
    /// both exist; returns whether it resumed.</summary>
    public bool TryResume()
    {
        if (Options.RunDirectory is not { } dir) return false;
        string model = Path.Combine(dir, ModelFileName), state = Path.Combine(dir, TrainerCheckpoint.FileName);
        if (!File.Exists(model) || !File.Exists(state)) return false;
        using (var f = SafetensorsFile.Open(model)) Parameters.Load(f);
        State = TrainerCheckpoint.Load(state, Optimizer);
        if (State.Generators.TryGetValue("data", out var d)) DataRandom.Restore(d);
        if (State.Generators.TryGetValue("dropout", out var r)) DropoutRandom.Restore(r);
        return true;
    }

    /// <summary>Writes the weights and the trainer state (both atomically) to the run directory.</summary>
    public void SaveCheckpoint()
    {
        if (Options.RunDirectory is not { } dir) throw new InvalidOperationException("[trainer] no run directory");
        State.Generators["data"] = DataRandom.State;
        State.Generators["dropout"] = DropoutRandom.State;
        Parameters.Save(Path.Combine(dir, ModelFileName));
        TrainerCheckpoint.Save(Path.Combine(dir, TrainerCheckpoint.FileName), State, Optimizer);
    }

    /// <summary>One optimiser update over <see cref="TrainerOptions.MicroBatches"/> calls of
    /// <paramref name="microBatch"/>; throws <see cref="TrainingDivergedException"/> on a non-finite loss or
    /// gradient. Returns the update's metrics (step = updates completed).</summary>
    public TrainingMetrics TrainStep(Func<Trainer, MicroBatchResult> microBatch)
    {
        var clock = Stopwatch.StartNew();
        long step = State.Step;
        Optimizer.LearningRate = Schedule.At(State.ScheduleStep);
        _accumulator.Reset();
        long tokens = 0;
        while (!_accumulator.IsComplete)
        {
            var r = microBatch(this);
            if (r.Loss.NumEl != 1)
                throw new ArgumentException($"[trainer] loss {ShapeUtil.Format(r.Loss.Shape)} is not a scalar");
            DivergenceGuard.CheckLoss(step, r.Loss.Item());
            _accumulator.Backward(r.Loss);
            tokens += r.Tokens;
        }
        double norm = Options.MaxGradNorm > 0
            ? Gradients.ClipByGlobalNorm(Parameters, Options.MaxGradNorm)
            : Gradients.GlobalNorm(Parameters);
        DivergenceGuard.CheckGradients(step, Parameters, norm);
        double lr = Optimizer.LearningRate, loss = _accumulator.MeanLoss;
        Optimizer.Step();
        _accumulator.Reset();
        State.Step++;
        State.ScheduleStep++;
        State.TokensSeen += tokens;
        double seconds = clock.Elapsed.TotalSeconds;
        return new TrainingMetrics(State.Step, loss, lr, seconds > 0 ? tokens / seconds : double.NaN, norm,
            seconds);
    }

    /// <summary>Trains until <paramref name="untilStep"/> (default <see cref="TrainerOptions.TotalSteps"/>),
    /// appending metrics to <c>metrics.csv</c> (resumed rows are kept) and checkpointing every
    /// <see cref="TrainerOptions.CheckpointEvery"/> updates and at the end. <paramref name="onStep"/> sees every
    /// update's metrics (progress display, evaluation). <paramref name="annotate"/> may add
    /// <see cref="TrainerOptions.MetricsColumns"/> values (periodic evaluation) before the row is written; it must
    /// not draw from <see cref="DataRandom"/>, so a resumed run continues the same curve.</summary>
    public void Run(Func<Trainer, MicroBatchResult> microBatch, Action<TrainingMetrics>? onStep = null,
        long? untilStep = null, Func<TrainingMetrics, TrainingMetrics>? annotate = null,
        CancellationToken stop = default)
    {
        long end = Math.Min(untilStep ?? Options.TotalSteps, Options.TotalSteps);
        MetricsCsvWriter? metrics = Options.RunDirectory is { } dir
            ? new MetricsCsvWriter(Path.Combine(dir, MetricsFileName), Options.MetricsColumns, resume: true,
                resumeFromStep: State.Step + 1)
            : null;
        using (metrics)
        {
            while (State.Step < end && !stop.IsCancellationRequested)
            {
                var m = TrainStep(microBatch);
                if (annotate is not null) m = annotate(m);
                metrics?.Append(m);
                onStep?.Invoke(m);
                if (Options.RunDirectory is not null && Options.CheckpointEvery > 0
                    && State.Step % Options.CheckpointEvery == 0)
                    SaveCheckpoint();
            }
            if (Options.RunDirectory is null) return;
            SaveCheckpoint();
            if (State.Step >= Options.TotalSteps) metrics!.Complete();
        }
    }
}
