using System.Globalization;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Training;

/// <summary>Language-model training on a text file (from scratch from a config, or fine-tuning a model
/// directory): random contiguous windows of the training text drawn from the data stream, next-token
/// cross-entropy, and the validation loss / perplexity on the first windows of the validation text every
/// <see cref="LmRunOptions.EvalEvery"/> updates (columns <c>val_loss</c>, <c>val_ppl</c> of metrics.csv). The run
/// directory is a native model directory (plus <c>tokenizer.json</c> when one is used) with
/// <c>lm.json</c>, <c>trainer_state.safetensors</c> and <c>metrics.csv</c>.</summary>
public sealed class LmTrainingRun : TrainingRun
{
    /// <summary>Tokenizer file name inside the run directory.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>The validation metric columns of metrics.csv.</summary>
    public static readonly IReadOnlyList<string> ValidationColumns = ["val_loss", "val_ppl"];

    private LmTrainingRun(CausalLm model, LmRunOptions options, string directory, TokenCorpus train,
        TokenCorpus? val, BpeTokenizer? tokenizer)
        : base(model, directory, new RunSchedule
        {
            Steps = options.Steps, LearningRate = options.LearningRate, Warmup = options.Warmup,
            WeightDecay = options.WeightDecay, MaxGradNorm = options.MaxGradNorm,
            CheckpointEvery = options.CheckpointEvery, Seed = options.Seed,
            MetricsColumns = val is null ? [] : ValidationColumns,
        })
    {
        (Options, TrainData, ValData, Tokenizer) = (options, train, val, tokenizer);
    }

    /// <summary>The run settings.</summary>
    public LmRunOptions Options { get; }
    /// <summary>The tokenized training text.</summary>
    public TokenCorpus TrainData { get; }
    /// <summary>The tokenized validation text (null = none).</summary>
    public TokenCorpus? ValData { get; }
    /// <summary>The tokenizer (null = UTF-8 bytes).</summary>
    public BpeTokenizer? Tokenizer { get; }
    /// <summary>The last validation result (null until one ran).</summary>
    public PerplexityResult? LastValidation { get; private set; }

    /// <summary>Starts a run in <paramref name="directory"/> (created if needed). A directory whose
    /// <c>lm.json</c> equals <paramref name="options"/> (paths made absolute) is resumed; one with other settings
    /// is refused.</summary>
    public static LmTrainingRun Open(LmRunOptions options, string directory)
    {
        options = options.WithFullPaths();
        options.Validate();
        System.IO.Directory.CreateDirectory(directory);
        if (File.Exists(Path.Combine(directory, LmRunOptions.FileName)) && LmRunOptions.Load(directory) != options)
            throw new ArgumentException($"[lm_run] {directory} holds a run with different settings; use resume");
        string tokPath = Path.Combine(directory, TokenizerFileName);
        string? tokSource = options.Tokenizer
            ?? (options.InitModel is { } im && File.Exists(Path.Combine(im, TokenizerFileName))
                ? Path.Combine(im, TokenizerFileName) : null);
        bool checkpoint = File.Exists(Path.Combine(directory, Trainer.ModelFileName))
            && File.Exists(Path.Combine(directory, TrainerCheckpoint.FileName))
            && File.Exists(Path.Combine(directory, "config.json"));
        if (!checkpoint && tokSource is not null && Path.GetFullPath(tokSource) != Path.GetFullPath(tokPath))
            File.Copy(tokSource, tokPath, overwrite: true);
        var tokenizer = File.Exists(tokPath) ? BpeTokenizer.FromFile(tokPath) : null;
        var train = TokenCorpus.FromFile(options.Data, tokenizer);
        var val = options.Val is { } v ? TokenCorpus.FromFile(v, tokenizer) : null;
        var model = checkpoint
            ? NewModel(ConfigReader.ReadFile(Path.Combine(directory, "config.json"), []).Config, options.Seed)
            : InitialModel(options);
        CheckData(model.Config, options, train, val, tokenizer);
        options.Save(directory);
        var run = new LmTrainingRun(model, options, directory, train, val, tokenizer);
        run.WriteConfigAndResume();
        return run;
    }

    /// <summary>Continues the run stored in <paramref name="directory"/> with its own <c>lm.json</c>.</summary>
    public static LmTrainingRun Resume(string directory) => Open(LmRunOptions.Load(directory), directory);

    /// <summary>The model a new run starts from: the weights of <see cref="LmRunOptions.InitModel"/>, or a fresh
    /// model of <see cref="LmRunOptions.ConfigFile"/> initialised from the seed.</summary>
    public static CausalLm InitialModel(LmRunOptions options)
    {
        if (options.InitModel is { } dir)
        {
            var model = ModelLoader.Load(dir).Model;
            model.SetRequiresGrad(true);
            return model;
        }
        string path = options.ConfigFile ?? throw new ArgumentException("[lm_run] no model config");
        if (!File.Exists(path)) throw new FileNotFoundException($"[lm_run] no config file {path}", path);
        var config = ConfigReader.ReadFile(path, []).Config;
        config.Validate();
        return NewModel(config, options.Seed);
    }

    /// <summary>Validation of the current weights on the configured validation windows.</summary>
    public PerplexityResult Validate()
    {
        if (ValData is null) throw new InvalidOperationException("[lm_run] the run has no validation text");
        LastValidation = LmEvaluator.Evaluate(Model, ValData, Options.SequenceLength, Options.EvalBatch,
            Options.ValWindows);
        return LastValidation;
    }

    /// <inheritdoc/>
    protected override MicroBatchResult NextMicroBatch(Trainer trainer)
    {
        var batch = TrainData.Sample(trainer.DataRandom, Options.Batch, Options.SequenceLength);
        var logits = Model.Forward(batch.InputIds());                      // (B, L, V_pad)
        return new MicroBatchResult(LanguageModelLoss.MaskedCrossEntropy(logits, batch),
            (long)batch.BatchSize * batch.Length);
    }

    /// <inheritdoc/>
    protected override TrainingMetrics Annotate(TrainingMetrics metrics)
    {
        if (ValData is null) return metrics;
        bool due = metrics.Step == Options.Steps || (Options.EvalEvery > 0 && metrics.Step % Options.EvalEvery == 0);
        if (!due) return metrics;
        var r = Validate();
        return metrics with
        {
            Extra = new Dictionary<string, double> { ["val_loss"] = r.MeanNll, ["val_ppl"] = r.Perplexity },
        };
    }

    private static void CheckData(ModelConfig config, LmRunOptions o, TokenCorpus train, TokenCorpus? val,
        BpeTokenizer? tokenizer)
    {
        var errors = new List<string>();
        int max = Math.Max(train.MaxId, val?.MaxId ?? -1);
        if (max >= config.VocabSize)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"the text holds token id {max} but the model's "
                + $"vocab_size is {config.VocabSize} ({(tokenizer is null ? "bytes need 256" : "tokenizer")})"));
        if (tokenizer is not null && tokenizer.VocabSize > config.VocabSize)
            errors.Add($"the tokenizer has {tokenizer.VocabSize} tokens but vocab_size is {config.VocabSize}");
        if (train.Count < o.SequenceLength + 1)
            errors.Add($"the training text has {train.Count} tokens, fewer than one window of "
                + $"{o.SequenceLength} + 1");
        if (val is not null && val.WindowCount(o.SequenceLength) < 1)
            errors.Add($"the validation text has {val.Count} tokens, fewer than one window of "
                + $"{o.SequenceLength} + 1");
        if (errors.Count > 0) throw new ArgumentException("[lm_run] " + string.Join("; ", errors));
    }
}
