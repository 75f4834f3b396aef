using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Models.Tests.Training;

public sealed class LmTrainingRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-lmrun-" + Guid.NewGuid().ToString("N"));

    public LmTrainingRunTests()
    {
        Directory.CreateDirectory(_root);
        // A small text with structure to learn: repeated phrases over a narrow byte range.
        var rng = new Random(11);
        string[] words = ["in", "the", "beginning", "god", "created", "heaven", "and", "earth", "light", "was"];
        string Text(int n) => string.Join(" ", Enumerable.Range(0, n).Select(_ => words[rng.Next(words.Length)]));
        File.WriteAllText(Path.Combine(_root, "train.txt"), Text(600));
        File.WriteAllText(Path.Combine(_root, "val.txt"), Text(80));
        WriteConfig("m2.json", Mamba2Config());
        WriteConfig("m1.json", Mamba2Config() with { Ssm = new SsmConfig { Layer = LayerKind.Mamba1, DState = 4 } });
        WriteConfig("hybrid.json", Mamba2Config() with
        {
            NLayer = 2, AttnLayerIdx = [1], Attention = new AttentionConfig { NumHeads = 2 },
        });
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static ModelConfig Mamba2Config() => new()
    {
        DModel = 16, NLayer = 2, VocabSize = 256,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 8, HeadDim = 8, ChunkSize = 8 },
    };

    private void WriteConfig(string name, ModelConfig c) =>
        File.WriteAllText(Path.Combine(_root, name), CheckpointWriter.NativeConfigJson(c));

    private string P(string name) => Path.Combine(_root, name);

    private LmRunOptions Tiny(string config = "m2.json") => new()
    {
        Data = P("train.txt"), Val = P("val.txt"), ConfigFile = P(config), SequenceLength = 32, Batch = 4,
        Steps = 6, LearningRate = 1e-2, WarmupSteps = 1, Seed = 3, EvalEvery = 3, ValTokens = 64,
        CheckpointEvery = 2,
    };

    // Everything but the timing columns (tokens_per_s, elapsed_s).
    private static string[] Curve(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, Trainer.MetricsFileName)).Select(l => l.Split(','))
            .Select(c => string.Join(",", c.Where((_, i) => i != 3 && i != 5)))];

    [Theory]
    [InlineData("m2.json")]
    [InlineData("m1.json")]
    [InlineData("hybrid.json")]
    public void Train_TinyText_LossFallsAndTheRunDirectoryLoadsBack(string config)
    {
        var run = LmTrainingRun.Open(Tiny(config), P("run-" + config));
        run.Train();
        var rows = MetricsCsvWriter.Read(Path.Combine(run.Directory, Trainer.MetricsFileName));
        Assert.Equal(6, rows.Count);
        Assert.True(rows[^1].Loss < rows[0].Loss - 0.5, $"loss {rows[0].Loss} -> {rows[^1].Loss}");
        Assert.True(double.IsNaN(rows[0].Extra!["val_loss"]));
        Assert.True(double.IsFinite(rows[2].Extra!["val_loss"]) && double.IsFinite(rows[5].Extra!["val_ppl"]));
        Assert.Equal(Math.Exp(rows[5].Extra!["val_loss"]), rows[5].Extra!["val_ppl"], 6);

        var loaded = ModelLoader.Load(run.Directory).Model;
        var ids = TokenCorpus.FromFile(P("val.txt")).Tokens;
        var r = Perplexity.Evaluate(loaded, ids, window: 64);
        Assert.True(double.IsFinite(r.Perplexity) && r.Perplexity < 256, $"perplexity {r.Perplexity}");
        Assert.Equal(ids.Length - 1, r.Tokens);
        var again = LmEvaluator.Evaluate(loaded, run.ValData!, 32, maxWindows: 2);
        Assert.Equal(run.LastValidation!.MeanNll, again.MeanNll, 4);
    }

    [Fact]
    public void Resume_AfterAnInterruption_ContinuesTheStraightCurve()
    {
        int threads = Par.MaxThreads;
        Par.MaxThreads = 1;     // bit-identity holds per thread count
        try
        {
            LmTrainingRun.Open(Tiny(), P("straight")).Train();
            LmTrainingRun.Open(Tiny(), P("split")).Train(untilStep: 4);
            var resumed = LmTrainingRun.Resume(P("split"));
            Assert.True(resumed.Resumed);
            Assert.Equal(4, resumed.Trainer.State.Step);
            resumed.Train();
        }
        finally
        {
            Par.MaxThreads = threads;
        }
        Assert.Equal(Curve(P("straight")), Curve(P("split")));
        Assert.Equal(File.ReadAllBytes(P("straight/model.safetensors")),
            File.ReadAllBytes(P("split/model.safetensors")));
    }

    [Fact]
    public void Open_FineTuneFromAModelDirectory_StartsFromItsWeights()
    {
        var first = LmTrainingRun.Open(Tiny() with { Steps = 2 }, P("base"));
        first.Train();
        var o = Tiny() with { ConfigFile = null, InitModel = P("base"), Steps = 1, Seed = 9 };
        var tuned = LmTrainingRun.Open(o, P("tuned"));
        Assert.Equal(first.Model.Parameters().First().ToArray(), tuned.Model.Parameters().First().ToArray());
    }

    [Fact]
    public void LmEvaluator_OneWindow_EqualsPerplexityOfTheSameTokens()
    {
        var model = LmTrainingRun.InitialModel(Tiny());
        var corpus = TokenCorpus.FromFile(P("val.txt"));
        var viaWindows = LmEvaluator.Evaluate(model, corpus, 40, maxWindows: 1);
        var viaPerplexity = Perplexity.Evaluate(model, corpus.Tokens.Take(41).ToArray(), window: 40);
        Assert.Equal(40, viaWindows.Tokens);
        Assert.Equal(viaPerplexity.MeanNll, viaWindows.MeanNll, 4);
    }

    [Fact]
    public void Open_WithATokenizer_TrainsOnItsIdsAndKeepsItInTheRunDirectory()
    {
        string tokPath = Path.Combine(GoldenPaths.Root, "tokenizers", "gpt2", "tokenizer.json");
        var tok = BpeTokenizer.FromFile(tokPath);
        WriteConfig("bpe.json", Mamba2Config() with { VocabSize = tok.VocabSize });
        var o = Tiny("bpe.json") with { Tokenizer = tokPath, SequenceLength = 8, Steps = 2, ValTokens = 8 };
        var run = LmTrainingRun.Open(o, P("bpe"));
        run.Train();
        Assert.Equal(tok.Encode(File.ReadAllText(P("train.txt")), addSpecialTokens: false), run.TrainData.Tokens);
        Assert.Equal(File.ReadAllBytes(tokPath), File.ReadAllBytes(P("bpe/tokenizer.json")));
        Assert.Equal(tok.VocabSize, ModelLoader.Load(P("bpe")).Model.Config.VocabSize);
        Assert.NotNull(run.LastValidation);

        WriteConfig("bpe-small.json", Mamba2Config() with { VocabSize = 256 });
        var e = Assert.Throws<ArgumentException>(() =>
            LmTrainingRun.Open(o with { ConfigFile = P("bpe-small.json") }, P("bpe-small")));
        Assert.Contains($"the tokenizer has {tok.VocabSize} tokens", e.Message);
    }

    [Fact]
    public void Open_DirectoryOfAnotherRun_Throws()
    {
        LmTrainingRun.Open(Tiny(), P("b"));
        Assert.Throws<ArgumentException>(() => LmTrainingRun.Open(Tiny() with { Seed = 1 }, P("b")));
    }

    [Fact]
    public void Open_VocabularyTooSmallForBytes_ListsTheProblem()
    {
        WriteConfig("small.json", Mamba2Config() with { VocabSize = 100 });
        var e = Assert.Throws<ArgumentException>(() => LmTrainingRun.Open(Tiny("small.json"), P("c")));
        Assert.Contains("vocab_size is 100", e.Message);
    }

    [Fact]
    public void Validate_BadSettings_ListsEveryProblem()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            (Tiny() with { InitModel = P("x"), SequenceLength = 0, LearningRate = -1 }).Validate());
        Assert.StartsWith("[lm_run]", e.Message);
        Assert.Contains("exactly one", e.Message);
        Assert.Contains("sequence length 0", e.Message);
        Assert.Contains("learning rate -1", e.Message);
    }

    [Fact]
    public void Open_InconsistentModelConfig_NamesTheProblem()
    {
        WriteConfig("bad.json", Mamba2Config() with { AttnLayerIdx = [5] });
        var e = Assert.Throws<ModelConfigReadException>(() => LmTrainingRun.Open(Tiny("bad.json"), P("d")));
        Assert.Contains("attn_layer_idx", e.Message);
    }
}
