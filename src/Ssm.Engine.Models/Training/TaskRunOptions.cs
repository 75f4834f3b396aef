using System.Text.Json;
using System.Text.Json.Serialization;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Training.Tasks;

namespace Ssm.Engine.Models.Training;

/// <summary>The synthetic tasks of the Mamba paper that <see cref="TaskTrainingRun"/> trains.</summary>
public enum SyntheticTask
{
    /// <summary><see cref="SelectiveCopyingTask"/>.</summary>
    SelectiveCopying,
    /// <summary><see cref="InductionHeadsTask"/>.</summary>
    InductionHeads,
}

/// <summary>How <see cref="TaskRunOptions"/> draws the no-gradient prefix length of each update.</summary>
public enum PrefixSampling
{
    /// <summary>Always <see cref="TaskRunOptions.Prefix"/> tokens.</summary>
    Fixed,
    /// <summary>Uniform in 0..<see cref="TaskRunOptions.Prefix"/>.</summary>
    Uniform,
    /// <summary>Log-uniform in 0..<see cref="TaskRunOptions.Prefix"/>: every octave (1–2, 2–4, … tokens) equally
    /// likely, so short windows from the zero state stay as common as the long ones.</summary>
    LogUniform,
    /// <summary>Each update draws uniform or log-uniform with equal chance: the long gaps as an evaluation at N + L
    /// draws them, and the short windows from the zero state.</summary>
    Mixed,
}

/// <summary>Everything that defines a task-training run; stored as <c>task.json</c> in the run directory so that
/// a run can be resumed and evaluated from the directory alone.</summary>
public sealed record TaskRunOptions
{
    /// <summary>Run-description file name inside the run directory.</summary>
    public const string FileName = "task.json";

    /// <summary>The task.</summary>
    public SyntheticTask Task { get; init; } = SyntheticTask.InductionHeads;
    /// <summary>Optimiser updates.</summary>
    public long Steps { get; init; } = 2000;
    /// <summary>Seed of initialisation, data and evaluation streams.</summary>
    public ulong Seed { get; init; }
    /// <summary>Sequences per update.</summary>
    public int Batch { get; init; } = 32;
    /// <summary>Peak learning rate (AdamW, warmup-cosine).</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>Warmup updates; null = 5 % of <see cref="Steps"/> (at least 1).</summary>
    public long? WarmupSteps { get; init; }
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Residual width.</summary>
    public int DModel { get; init; } = 64;
    /// <summary>Number of Mamba blocks.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>SSM state size N.</summary>
    public int DState { get; init; } = 16;
    /// <summary>Selective Mamba or the LTI ablation.</summary>
    public SsmSelectivity Selectivity { get; init; } = SsmSelectivity.Selective;
    /// <summary>Training sequence length; null = the task's default (512 copying, 256 induction).</summary>
    public int? SequenceLength { get; init; }
    /// <summary>Distinct data tokens of the task.</summary>
    public int DataVocabSize { get; init; } = 16;
    /// <summary>Data tokens to copy (selective copying, M).</summary>
    public int CopyTokens { get; init; } = 16;
    /// <summary>Checkpoint every this many updates (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>A run or model directory whose weights start this run (same model settings; e.g. a length
    /// curriculum: a model trained at a short length continues at a longer one). Null: initialised from the
    /// seed.</summary>
    public string? InitFrom { get; init; }
    /// <summary>A length curriculum, <c>"L1:S1,L2:S2,..."</c>: the first S1 updates train at length L1, the next
    /// S2 at L2, and so on; the updates left after the stages train at <see cref="TrainLength"/>. Null: every
    /// update at <see cref="TrainLength"/>. One warmup-cosine schedule spans the whole run.</summary>
    public string? Curriculum { get; init; }
    /// <summary>State passing: before each training batch, this many random data tokens run through the model
    /// without gradient, and the batch starts from the state they leave (0 = from the zero state). It shows the
    /// model the states that long sequences reach, which training on short sequences alone never visits.</summary>
    public int BurnIn { get; init; }
    /// <summary>Truncated BPTT: each training sequence is drawn <c>Prefix + L</c> tokens long; its first
    /// <c>Prefix</c> tokens run without gradient and hand their state to the last L, where the loss and the
    /// gradients are. A task event in the prefix (an induction trigger and its answer) must then be remembered
    /// across more than L tokens while back-propagation spans only L (0 = whole sequences of length L).</summary>
    public int Prefix { get; init; }
    /// <summary>How each update's prefix length is drawn (from the data stream, so resumes stay exact).</summary>
    public PrefixSampling PrefixSampling { get; init; }

    /// <summary>The effective training length.</summary>
    [JsonIgnore]
    public int TrainLength => SequenceLength ?? (Task == SyntheticTask.SelectiveCopying ? 512 : 256);

    /// <summary>The effective warmup.</summary>
    [JsonIgnore]
    public long Warmup => WarmupSteps ?? Math.Max(1, Steps / 20);

    /// <summary>Throws <see cref="ArgumentException"/> for unusable settings.</summary>
    public void Validate()
    {
        if (Steps < 1 || Batch < 1 || DModel < 1 || Layers < 1 || DState < 1 || DataVocabSize < 1)
            throw new ArgumentException($"[task_run] steps {Steps}, batch {Batch}, d_model {DModel}, layers "
                + $"{Layers}, d_state {DState} and vocabulary {DataVocabSize} must be positive");
        if (BurnIn < 0) throw new ArgumentException($"[task_run] burn-in {BurnIn} must be >= 0");
        if (Prefix < 0) throw new ArgumentException($"[task_run] prefix {Prefix} must be >= 0");
        if (!(LearningRate > 0)) throw new ArgumentException($"[task_run] learning rate {LearningRate} must be > 0");
        if (Warmup < 0 || Warmup > Steps)
            throw new ArgumentException($"[task_run] warmup {Warmup} outside 0..{Steps}");
        _ = Sampler(Prefix + TrainLength);
        foreach (var (length, _) in Stages()) _ = Sampler(Prefix + length);
    }

    /// <summary>The parsed <see cref="Curriculum"/> stages (length, updates); empty without one.</summary>
    public IReadOnlyList<(int Length, long Steps)> Stages()
    {
        if (string.IsNullOrWhiteSpace(Curriculum)) return [];
        var stages = new List<(int, long)>();
        foreach (string part in Curriculum.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split(':', StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !int.TryParse(kv[0], out int length) || !long.TryParse(kv[1], out long steps)
                || length < 1 || steps < 1)
                throw new ArgumentException($"[task_run] curriculum stage '{part}' is not LENGTH:STEPS with "
                    + "positive numbers (e.g. 32:1000,128:1000)");
            stages.Add((length, steps));
        }
        long total = stages.Sum(st => st.Item2);
        if (total >= Steps)
            throw new ArgumentException($"[task_run] curriculum stages take {total} updates; --steps {Steps} "
                + "must leave at least one update at the training length");
        return stages;
    }

    /// <summary>The sequence length of the update that follows <paramref name="completedSteps"/> updates.
    /// </summary>
    public int LengthAt(long completedSteps)
    {
        long end = 0;
        foreach (var (length, steps) in Stages())
        {
            end += steps;
            if (completedSteps < end) return length;
        }
        return TrainLength;
    }

    /// <summary>The prefix length of the next update, drawn by <see cref="PrefixSampling"/> (no draw when
    /// fixed).</summary>
    public int DrawPrefix(Ssm.Engine.Training.PhiloxRandom rng)
    {
        var sampling = PrefixSampling;
        if (sampling == PrefixSampling.Mixed)
            sampling = rng.NextInt(0, 2) == 0 ? PrefixSampling.Uniform : PrefixSampling.LogUniform;
        return sampling switch
        {
            PrefixSampling.Uniform => rng.NextInt(0, Prefix + 1),
            // exp(U·ln(P+2)) lies in [1, P+2): floored and minus one, a length in 0..P, each octave equally likely.
            PrefixSampling.LogUniform =>
                Math.Min(Prefix, (int)Math.Exp(rng.NextDouble() * Math.Log(Prefix + 2.0)) - 1),
            _ => Prefix,
        };
    }

    /// <summary>The <see cref="PrefixSampling"/> values by their names in <c>task.json</c> and on the command line
    /// (<c>fixed</c>, <c>uniform</c>, <c>log-uniform</c>, <c>mixed</c>).</summary>
    public static IReadOnlyDictionary<string, PrefixSampling> PrefixSamplingNames { get; } =
        Enum.GetValues<PrefixSampling>().ToDictionary(v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString()));

    /// <summary>Model vocabulary (before padding).</summary>
    [JsonIgnore]
    public int VocabSize => Task == SyntheticTask.SelectiveCopying ? DataVocabSize + 2 : DataVocabSize + 1;

    /// <summary>Draws batches of the task at <paramref name="length"/>: (rng, batch) → tokens.</summary>
    public Func<Ssm.Engine.Training.PhiloxRandom, int, TokenBatch> Sampler(int length)
    {
        if (Task == SyntheticTask.InductionHeads)
        {
            var ih = new InductionHeadsTask(new InductionHeadsOptions
            {
                SequenceLength = length, DataVocabSize = DataVocabSize,
            });
            return (rng, b) => ih.Sample(rng, b, length);
        }
        var sc = new SelectiveCopyingTask(new SelectiveCopyingOptions
        {
            SequenceLength = length, DataVocabSize = DataVocabSize, NumDataTokens = CopyTokens,
        });
        return sc.Sample;
    }

    /// <summary>The model configuration: a Mamba-1 language model over the task vocabulary.</summary>
    public ModelConfig ModelConfig() => new()
    {
        DModel = DModel, NLayer = Layers, VocabSize = VocabSize,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba1, DState = DState, Selectivity = Selectivity },
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Writes <c>task.json</c> atomically.</summary>
    public void Save(string dir) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads <c>task.json</c> of a run directory.</summary>
    public static TaskRunOptions Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"[task_run] {dir} has no {FileName}", path);
        return JsonSerializer.Deserialize<TaskRunOptions>(File.ReadAllText(path), Json)
               ?? throw new InvalidDataException($"[task_run] {path} is empty");
    }
}
