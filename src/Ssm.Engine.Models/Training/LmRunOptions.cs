using System.Text.Json;
using System.Text.Json.Serialization;
using Ssm.Engine.IO;

namespace Ssm.Engine.Models.Training;

/// <summary>Everything that defines a language-model training run on a text file; stored as <c>lm.json</c> in
/// the run directory so that the run can be resumed from the directory alone. Paths are stored absolute.
/// </summary>
public sealed record LmRunOptions
{
    /// <summary>Run-description file name inside the run directory.</summary>
    public const string FileName = "lm.json";

    /// <summary>UTF-8 training text.</summary>
    public required string Data { get; init; }
    /// <summary>UTF-8 validation text (null = no validation).</summary>
    public string? Val { get; init; }
    /// <summary>tokenizer.json to train with (copied into the run directory); null = UTF-8 bytes, unless the
    /// model directory of <see cref="InitModel"/> holds one.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Native or transformers model directory to fine-tune (exclusive with <see cref="ConfigFile"/>).
    /// </summary>
    public string? InitModel { get; init; }
    /// <summary>Model config.json of a model trained from scratch (exclusive with <see cref="InitModel"/>).
    /// </summary>
    public string? ConfigFile { get; init; }
    /// <summary>Training window length L (tokens per sequence).</summary>
    public int SequenceLength { get; init; } = 256;
    /// <summary>Sequences per update.</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Optimiser updates.</summary>
    public long Steps { get; init; } = 1000;
    /// <summary>Peak learning rate (AdamW, warmup-cosine).</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>Warmup updates; null = 5 % of <see cref="Steps"/> (at least 1).</summary>
    public long? WarmupSteps { get; init; }
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Seed of initialisation and window sampling.</summary>
    public ulong Seed { get; init; }
    /// <summary>Validate every this many updates (and at the last); 0 = only at the last.</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>Validation tokens scored per evaluation (the first windows of the validation text); 0 = all.
    /// </summary>
    public int ValTokens { get; init; } = 32768;
    /// <summary>Windows per validation forward call.</summary>
    public int EvalBatch { get; init; } = 8;
    /// <summary>Checkpoint every this many updates (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>The effective warmup.</summary>
    [JsonIgnore]
    public long Warmup => WarmupSteps ?? Math.Max(1, Steps / 20);

    /// <summary>Validation windows per evaluation (0 = all).</summary>
    [JsonIgnore]
    public int ValWindows => ValTokens <= 0 ? 0 : Math.Max(1, ValTokens / SequenceLength);

    /// <summary>Throws <see cref="ArgumentException"/> listing every unusable setting.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Data)) errors.Add("a training text is required");
        if ((InitModel is null) == (ConfigFile is null))
            errors.Add("give exactly one of a model directory to fine-tune and a model config");
        if (SequenceLength < 1 || Batch < 1 || Steps < 1 || EvalBatch < 1)
            errors.Add($"sequence length {SequenceLength}, batch {Batch}, steps {Steps} and eval batch {EvalBatch} "
                + "must be positive");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            errors.Add($"learning rate {LearningRate} must be finite and > 0");
        if (Warmup < 0 || Warmup > Steps) errors.Add($"warmup {Warmup} outside 0..{Steps}");
        if (WeightDecay < 0 || !double.IsFinite(WeightDecay)) errors.Add($"weight decay {WeightDecay} must be >= 0");
        if (EvalEvery < 0 || ValTokens < 0 || CheckpointEvery < 0)
            errors.Add($"eval every {EvalEvery}, val tokens {ValTokens} and checkpoint every {CheckpointEvery} "
                + "must not be negative");
        if (errors.Count > 0) throw new ArgumentException("[lm_run] " + string.Join("; ", errors));
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Writes <c>lm.json</c> atomically.</summary>
    public void Save(string dir) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads <c>lm.json</c> of a run directory.</summary>
    public static LmRunOptions Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"[lm_run] {dir} has no {FileName}", path);
        return JsonSerializer.Deserialize<LmRunOptions>(File.ReadAllText(path), Json)
               ?? throw new InvalidDataException($"[lm_run] {path} is empty");
    }

    /// <summary>These options with every path made absolute (relative to the current directory).</summary>
    public LmRunOptions WithFullPaths() => this with
    {
        Data = Path.GetFullPath(Data), Val = Full(Val), Tokenizer = Full(Tokenizer), InitModel = Full(InitModel),
        ConfigFile = Full(ConfigFile),
    };

    private static string? Full(string? p) => p is null ? null : Path.GetFullPath(p);
}
