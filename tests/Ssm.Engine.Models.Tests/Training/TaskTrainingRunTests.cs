using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
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

    // Bit-identity holds per thread count; one thread keeps the kernels' reductions in a fixed order.
    private static void OnOneThread(Action body)
    {
        int threads = Par.MaxThreads;
        Par.MaxThreads = 1;
        try
        {
            body();
        }
        finally
        {
            Par.MaxThreads = threads;
        }
    }

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
        OnOneThread(TrainStraightAndSplit);
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

    [Fact]
    public void LengthAt_FollowsTheCurriculumStagesThenTheTrainingLength()
    {
        var o = Tiny with { Curriculum = "4:2, 8:1", Steps = 5 };
        Assert.Equal([4, 4, 8, 16, 16], Enumerable.Range(0, 5).Select(i => o.LengthAt(i)));
        Assert.Equal([16, 16], Enumerable.Range(0, 2).Select(i => Tiny.LengthAt(i)));
    }

    [Theory]
    [InlineData("4:2,8")]
    [InlineData("4:0")]
    [InlineData("x:2")]
    [InlineData("4:3,8:3")]
    [InlineData("2:1")]
    public void Validate_BadCurriculum_ThrowsNamingTheStage(string curriculum)
    {
        var e = Assert.Throws<ArgumentException>(() => (Tiny with { Curriculum = curriculum }).Validate());
        Assert.Contains("[", e.Message);
    }

    [Fact]
    public void Train_WithCurriculum_ResumesBitIdentically()
    {
        var o = Tiny with { Curriculum = "4:2,8:2" };
        OnOneThread(() =>
        {
            TaskTrainingRun.Open(o, Dir("cs")).Train();
            TaskTrainingRun.Open(o, Dir("cp")).Train(untilStep: 3);
            TaskTrainingRun.Resume(Dir("cp")).Train();
        });
        Assert.Equal(Curve(Dir("cs")), Curve(Dir("cp")));
        // A curriculum changes what the first updates see, so the curve differs from the straight run's.
        TaskTrainingRun.Open(Tiny, Dir("straight")).Train();
        Assert.NotEqual(Curve(Dir("straight"))[1..3], Curve(Dir("cs"))[1..3]);
    }

    [Fact]
    public void Train_WithBurnIn_StartsFromThePrefixStateAndResumesBitIdentically()
    {
        var o = Tiny with { BurnIn = 5 };
        OnOneThread(() =>
        {
            TaskTrainingRun.Open(o, Dir("bs")).Train();
            TaskTrainingRun.Open(o, Dir("bp")).Train(untilStep: 3);
            TaskTrainingRun.Resume(Dir("bp")).Train();
            TaskTrainingRun.Open(Tiny, Dir("zero")).Train();
        });
        Assert.Equal(Curve(Dir("bs")), Curve(Dir("bp")));
        // Same initial weights, different starting state: the first loss differs.
        Assert.NotEqual(Curve(Dir("zero"))[1], Curve(Dir("bs"))[1]);
        Assert.Throws<ArgumentException>(() => (Tiny with { BurnIn = -1 }).Validate());
    }

    [Theory]
    [InlineData(24)]
    [InlineData(TaskTrainingRun.PrefixPiece + 24)]   // the prefix runs in two pieces, carrying the state
    public void Train_WithPrefix_SeesTheLongSequenceButBackPropagatesOnlyThroughTheWindow(int prefix)
    {
        // Same seed, same draws: a prefix run of P + L tokens and a plain run of length P + L see the same
        // sequences from the same weights, so their first losses agree; the updates differ because the prefix run
        // truncates the gradient at the window.
        var o = Tiny with { Prefix = prefix };
        var whole = Tiny with { SequenceLength = prefix + 16 };
        OnOneThread(() =>
        {
            TaskTrainingRun.Open(o, Dir("ps")).Train();
            TaskTrainingRun.Open(o, Dir("pp")).Train(untilStep: 3);
            TaskTrainingRun.Resume(Dir("pp")).Train();
            TaskTrainingRun.Open(whole, Dir("whole")).Train(untilStep: 2);
        });
        Assert.Equal(Curve(Dir("ps")), Curve(Dir("pp")));
        var truncated = MetricsCsvWriter.Read(Path.Combine(Dir("ps"), Trainer.MetricsFileName));
        var full = MetricsCsvWriter.Read(Path.Combine(Dir("whole"), Trainer.MetricsFileName + ".partial"));
        Assert.Equal(full[0].Loss, truncated[0].Loss, 1e-5);
        Assert.NotEqual(full[0].GradNorm, truncated[0].GradNorm);
        Assert.Throws<ArgumentException>(() => (Tiny with { Prefix = -1 }).Validate());
    }

    [Fact]
    public void Train_WithALogUniformPrefix_ResumesBitIdenticallyAndDiffersFromTheFixedPrefix()
    {
        var o = Tiny with { Prefix = 24, PrefixSampling = PrefixSampling.LogUniform };
        OnOneThread(() =>
        {
            TaskTrainingRun.Open(o, Dir("ls")).Train();
            TaskTrainingRun.Open(o, Dir("lp")).Train(untilStep: 3);
            TaskTrainingRun.Resume(Dir("lp")).Train();
            TaskTrainingRun.Open(o with { PrefixSampling = PrefixSampling.Fixed }, Dir("fixed")).Train();
        });
        Assert.Equal(Curve(Dir("ls")), Curve(Dir("lp")));
        Assert.Equal(PrefixSampling.LogUniform, TaskRunOptions.Load(Dir("lp")).PrefixSampling);
        Assert.NotEqual(Curve(Dir("fixed")), Curve(Dir("ls")));
    }

    [Fact]
    public void Open_InitFrom_StartsFromTheOtherRunsWeights()
    {
        var first = TaskTrainingRun.Open(Tiny, Dir("first"));
        first.Train();
        var second = TaskTrainingRun.Open(Tiny with { Seed = 9, InitFrom = Dir("first") }, Dir("second"));
        foreach (var ((name, a), (_, b)) in first.Model.NamedParameters().Zip(second.Model.NamedParameters()))
            Assert.True(a.ToArray().SequenceEqual(b.ToArray()), name);
        Assert.True(second.Model.Parameters().All(p => p.RequiresGrad));
        var wider = Tiny with { DModel = 8, InitFrom = Dir("first") };
        Assert.Throws<CheckpointException>(() => TaskTrainingRun.Open(wider, Dir("third")));
    }

    // Selective models are scored through the MambaDecoder, the LTI ablation through CausalLm.Step.
    [Theory]
    [InlineData(SyntheticTask.InductionHeads, SsmSelectivity.Selective)]
    [InlineData(SyntheticTask.SelectiveCopying, SsmSelectivity.Selective)]
    [InlineData(SyntheticTask.SelectiveCopying, SsmSelectivity.Lti)]
    public void StepEvaluation_MatchesTheWholeSequenceForward(SyntheticTask task, SsmSelectivity selectivity)
    {
        var o = Tiny with { Task = task, SequenceLength = 24, CopyTokens = 4, Selectivity = selectivity };
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
