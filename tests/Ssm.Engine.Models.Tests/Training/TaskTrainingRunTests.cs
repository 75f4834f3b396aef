using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;
using Xunit;

namespace Ssm.Engine.Models.Tests.Training;

public sealed class TaskTrainingRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssm-taskrun-" + Guid.NewGuid().ToString("N"));

    private static readonly TaskRunOptions Tiny = new()
    {
        Task = SyntheticTask.InductionHeads, Steps = 6, Seed = 7, Batch = 4, LearningRate = 3e-3, DModel = 16,
        Layers = 2, DState = 4, SequenceLength = 16, DataVocabSize = 6, CheckpointEvery = 2,
    };

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Dir(string name) => Path.Combine(_root, name);

    // Everything but the timing columns (tokens_per_s, elapsed_s).
    private static string[] Curve(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, Trainer.MetricsFileName))
            .Select(l => l.Split(','))
            .Select(c => string.Join(",", c[0], c[1], c[2], c[4]))];

    [Fact]
    public void Train_TinyRun_WritesALoadableRunDirectory()
    {
        var run = TaskTrainingRun.Open(Tiny, Dir("a"));
        run.Train();
        foreach (string f in new[] { "config.json", "model.safetensors", "trainer_state.safetensors", "metrics.csv",
                     TaskRunOptions.FileName })
            Assert.True(File.Exists(Path.Combine(run.Directory, f)), f);
        Assert.Equal(Tiny.Steps + 1, File.ReadAllLines(Path.Combine(run.Directory, "metrics.csv")).Length);
        Assert.Equal(Tiny, TaskRunOptions.Load(run.Directory));
        var loaded = ModelLoader.Load(run.Directory).Model;
        var ids = Tensor.FromArray(new[] { 1, 2, 6, 3, 4, 6 }, 1, 6);
        using (Tape.NoGrad())
            Assert.Equal(run.Model.Forward(ids).ToArray(), loaded.Forward(ids).ToArray());
    }

    [Fact]
    public void Resume_AfterAnInterruption_ContinuesTheStraightCurveBitIdentically()
    {
        // Bit-identity holds per thread count; one thread keeps the kernels' reductions in a fixed order.
        int threads = Par.MaxThreads;
        Par.MaxThreads = 1;
        try
        {
            TrainStraightAndSplit();
        }
        finally
        {
            Par.MaxThreads = threads;
        }
    }

    private void TrainStraightAndSplit()
    {
        TaskTrainingRun.Open(Tiny, Dir("straight")).Train();
        TaskTrainingRun.Open(Tiny, Dir("split")).Train(untilStep: 3);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(Dir("split"), "metrics.csv.partial")).Length);
        var resumed = TaskTrainingRun.Resume(Dir("split"));
        Assert.True(resumed.Resumed);
        Assert.Equal(3, resumed.Trainer.State.Step);
        resumed.Train();
        Assert.Equal(Curve(Dir("straight")), Curve(Dir("split")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Dir("straight"), "model.safetensors")),
            File.ReadAllBytes(Path.Combine(Dir("split"), "model.safetensors")));
    }

    [Fact]
    public void BuildModel_SameSeed_SameWeights_OtherSeed_Different()
    {
        var a = TaskTrainingRun.BuildModel(Tiny).Parameters().First().ToArray();
        var b = TaskTrainingRun.BuildModel(Tiny).Parameters().First().ToArray();
        var c = TaskTrainingRun.BuildModel(Tiny with { Seed = 8 }).Parameters().First().ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Open_DirectoryOfAnotherRun_Throws()
    {
        TaskTrainingRun.Open(Tiny, Dir("b"));
        Assert.Throws<ArgumentException>(() => TaskTrainingRun.Open(Tiny with { Seed = 1 }, Dir("b")));
    }

    [Theory]
    [InlineData(SyntheticTask.InductionHeads)]
    [InlineData(SyntheticTask.SelectiveCopying)]
    public void StepEvaluation_MatchesTheWholeSequenceForward(SyntheticTask task)
    {
        var o = Tiny with { Task = task, SequenceLength = 24, CopyTokens = 4 };
        var model = TaskTrainingRun.BuildModel(o);
        var batch = o.Sampler(24)(new PhiloxRandom(3, PhiloxRandom.Streams.Eval), 5);
        AccuracyResult viaForward;
        using (Tape.NoGrad()) viaForward = TokenAccuracy.Evaluate(model.Forward(batch.InputIds()), batch);
        AccuracyResult viaStep;
        using (Tape.NoGrad()) viaStep = TaskEvaluator.Run(model, batch);
        Assert.Equal(viaForward, viaStep);
        Assert.Equal(batch.MaskedCount, viaStep.Total);
    }

    [Fact]
    public void Evaluate_LongerThanTraining_ScoresEverySequence()
    {
        var model = TaskTrainingRun.BuildModel(Tiny);
        var r = TaskEvaluator.Evaluate(model, Tiny, 64, sequences: 5, batch: 2);
        Assert.Equal(64, r.Length);
        Assert.Equal(5, r.Result.Total);
        Assert.Equal(5, r.Result.Sequences);
    }
}
