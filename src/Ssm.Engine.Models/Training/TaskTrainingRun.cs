using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;

namespace Ssm.Engine.Models.Training;

/// <summary>One synthetic-task training run in a run directory: a Mamba-1 <see cref="CausalLm"/> initialised from
/// <see cref="PhiloxRandom.Streams.Init"/>, trained by <see cref="Trainer"/> (AdamW, warmup-cosine, clipping).
/// The directory holds <c>task.json</c>, <c>config.json</c> + <c>model.safetensors</c> (a native model directory
/// that <see cref="ModelLoader.Load"/> reads), <c>trainer_state.safetensors</c> and <c>metrics.csv</c>; every
/// file is written atomically. Opening a directory that already holds a checkpoint resumes it exactly.</summary>
public sealed class TaskTrainingRun : TrainingRun
{
    /// <summary>Tokens per no-gradient forward call over a <see cref="TaskRunOptions.Prefix"/> (the state carries
    /// across the pieces).</summary>
    internal const int PrefixPiece = 4096;

    private TaskTrainingRun(TaskRunOptions options, string directory)
        : base(BuildModel(options), directory, new RunSchedule
        {
            Steps = options.Steps, LearningRate = options.LearningRate, Warmup = options.Warmup,
            WeightDecay = options.WeightDecay, MaxGradNorm = options.MaxGradNorm,
            CheckpointEvery = options.CheckpointEvery, Seed = options.Seed,
        })
    {
        Options = options;
    }

    /// <summary>The run settings.</summary>
    public TaskRunOptions Options { get; }

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
        run.WriteConfigAndResume();
        return run;
    }

    /// <summary>Continues the run stored in <paramref name="directory"/> with its own <c>task.json</c>.</summary>
    public static TaskTrainingRun Resume(string directory) => Open(TaskRunOptions.Load(directory), directory);

    /// <summary>The model of <paramref name="options"/> before training: its initial weights depend only on the
    /// seed (drawn from the Philox init stream), or come from <see cref="TaskRunOptions.InitFrom"/>.</summary>
    public static CausalLm BuildModel(TaskRunOptions options)
    {
        options.Validate();
        var model = NewModel(options.ModelConfig(), options.Seed);
        if (options.InitFrom is { } from)
        {
            using var source = CheckpointFiles.OpenWeights(from);
            ModelLoader.LoadWeights(model, source, new LoadOptions());
            model.SetRequiresGrad(true);
        }
        return model;
    }

    /// <summary>The state after <see cref="TaskRunOptions.BurnIn"/> random data tokens (no gradient), or null.
    /// </summary>
    private InferenceCache? BurnIn(PhiloxRandom rng)
    {
        if (Options.BurnIn == 0) return null;
        var ids = new int[Options.Batch * Options.BurnIn];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(0, Options.DataVocabSize);
        var cache = Model.NewCache();
        Advance(ids, Options.BurnIn, Options.BurnIn, cache);
        return cache;
    }

    /// <summary>Runs the first <paramref name="count"/> tokens of every row of <paramref name="inputs"/> (rows of
    /// <paramref name="rowLength"/> ids) through the model without gradient, advancing <paramref name="state"/>, in
    /// pieces of <see cref="PrefixPiece"/> tokens: one forward over a 65,536-token prefix would materialise every
    /// intermediate tensor at full length (tens of GB at batch 16).</summary>
    private void Advance(int[] inputs, int rowLength, int count, InferenceCache state)
    {
        int rows = inputs.Length / rowLength;
        using (Tape.NoGrad())
            for (int p0 = 0; p0 < count; p0 += PrefixPiece)
            {
                int n = Math.Min(PrefixPiece, count - p0);
                var ids = new int[rows * n];
                for (int r = 0; r < rows; r++) Array.Copy(inputs, r * rowLength + p0, ids, r * n, n);
                Model.Forward(Tensor.FromArray(ids, rows, n), state);
            }
    }

    /// <inheritdoc/>
    protected override MicroBatchResult NextMicroBatch(Trainer trainer)
    {
        int length = Options.LengthAt(trainer.State.Step), prefix = Options.DrawPrefix(trainer.DataRandom);
        var batch = Options.Sampler(prefix + length)(trainer.DataRandom, Options.Batch);
        var state = BurnIn(trainer.DataRandom);
        if (prefix > 0)
        {
            // Truncated BPTT: the prefix carries its state (and any task event in it) into the graded window.
            state ??= Model.NewCache();
            Advance(batch.Inputs, batch.Length, prefix, state);
            batch = batch.Slice(prefix, length);
        }
        var logits = Model.Forward(batch.InputIds(), state);    // (B, L, V_pad)
        return new MicroBatchResult(LanguageModelLoss.MaskedCrossEntropy(logits, batch),
            (long)batch.BatchSize * batch.Length);
    }
}
