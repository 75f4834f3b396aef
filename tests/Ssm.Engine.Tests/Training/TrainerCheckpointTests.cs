using Ssm.Engine.IO;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Tests.Training;

public sealed class TrainerCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ssm-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A 2-layer tanh MLP regressing a fixed function of Philox inputs, trained with AdamW, warmup +
    /// cosine, clipping and dropout, so every piece of trainer state influences the loss curve.</summary>
    private sealed class TinyRun
    {
        private const int Batch = 16, In = 4, Hidden = 8;
        private static readonly WarmupCosineSchedule Schedule = new(0.05, warmupSteps: 3, totalSteps: 12, 0.005);
        public readonly ParameterSet Params;
        public readonly AdamW Opt;
        public readonly PhiloxRandom Data = new(11, PhiloxRandom.Streams.Data);
        public readonly PhiloxRandom Drop = new(11, PhiloxRandom.Streams.Dropout);
        public long Step;

        public TinyRun(ulong initSeed)
        {
            var init = new PhiloxRandom(initSeed, PhiloxRandom.Streams.Init);
            Params = new ParameterSet([
                ("fc1.weight", init.Normal([In, Hidden], std: 0.5)),
                ("fc1.bias", Tensor.Zeros(Hidden)),
                ("fc2.weight", init.Normal([Hidden, 1], std: 0.5)),
                ("fc2.bias", Tensor.Zeros(1)),
            ]);
            Opt = new AdamW(Params, new AdamWOptions { WeightDecay = 0.1 });
        }

        public float TrainStep()
        {
            var x = Data.Uniform([Batch, In], -1, 1);
            var xs = x.ToArray();
            var ys = new float[Batch];
            for (int b = 0; b < Batch; b++)
                ys[b] = MathF.Sin(xs[b * In] * 2) + xs[b * In + 1] * xs[b * In + 2] - 0.5f * xs[b * In + 3];
            var h = F.Tanh(F.MatMul(x, Params["fc1.weight"]) + Params["fc1.bias"]);
            h = Drop.Dropout(h, 0.1);
            var pred = F.MatMul(h, Params["fc2.weight"]) + Params["fc2.bias"];
            var loss = F.Mean(F.Pow(pred - Tensor.FromArray(ys, Batch, 1), 2));
            float value = (float)loss.Item();
            DivergenceGuard.CheckLoss(Step, value);
            Opt.ZeroGrad();
            loss.Backward();
            double norm = Gradients.ClipByGlobalNorm(Params, 1.0);
            DivergenceGuard.CheckGradients(Step, Params, norm);
            Opt.LearningRate = Schedule.At(Step);
            Opt.Step();
            Step++;
            return value;
        }

        public void Save(string dir)
        {
            Params.Save(Path.Combine(dir, "model.safetensors"));
            var st = new TrainerState { Step = Step, ScheduleStep = Step, TokensSeen = Step * Batch };
            st.Generators["data"] = Data.State;
            st.Generators["dropout"] = Drop.State;
            st.Metadata["task"] = "tiny-mlp";
            TrainerCheckpoint.Save(Path.Combine(dir, TrainerCheckpoint.FileName), st, Opt);
        }

        public TrainerState Load(string dir)
        {
            using (var f = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors"))) Params.Load(f);
            var st = TrainerCheckpoint.Load(Path.Combine(dir, TrainerCheckpoint.FileName), Opt);
            Data.Restore(st.Generators["data"]);
            Drop.Restore(st.Generators["dropout"]);
            Step = st.Step;
            return st;
        }
    }

    [Fact]
    public void Resume_ReproducesTheLossCurveBitForBit()
    {
        const int total = 12, saveAt = 5;
        var straight = new TinyRun(initSeed: 1);
        var expected = Enumerable.Range(0, total).Select(_ => straight.TrainStep()).ToArray();
        Assert.True(expected[^1] < expected[0], $"loss did not fall: {expected[0]} -> {expected[^1]}");

        var first = new TinyRun(initSeed: 1);
        var got = Enumerable.Range(0, saveAt).Select(_ => first.TrainStep()).ToList();
        first.Save(_dir);
        first.TrainStep(); // work after the save must not leak into the resumed run

        var resumed = new TinyRun(initSeed: 99); // different init: everything must come from the files
        var state = resumed.Load(_dir);
        Assert.Equal(saveAt, state.Step);
        Assert.Equal(saveAt * 16, state.TokensSeen);
        Assert.Equal("tiny-mlp", state.Metadata["task"]);
        Assert.Equal(saveAt, resumed.Opt.StepCount);
        for (int i = saveAt; i < total; i++) got.Add(resumed.TrainStep());

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), got.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(straight.Params["fc1.weight"].ToArray(), resumed.Params["fc1.weight"].ToArray());
    }

    [Fact]
    public void Load_RejectsAnotherOptimiserKind()
    {
        var run = new TinyRun(1);
        run.TrainStep();
        run.Save(_dir);
        var sgd = new Sgd(new TinyRun(1).Params, new SgdOptions { Momentum = 0.9 });
        string path = Path.Combine(_dir, TrainerCheckpoint.FileName);
        Assert.Throws<ArgumentException>(() => TrainerCheckpoint.Load(path, sgd));
    }

    [Fact]
    public void Load_RejectsAFileThatIsNotATrainerState()
    {
        var run = new TinyRun(1);
        run.Save(_dir);
        string path = Path.Combine(_dir, "model.safetensors");
        Assert.Throws<SafetensorsException>(() => TrainerCheckpoint.Load(path, run.Opt));
    }

    [Fact]
    public void SgdMomentumState_RoundTripsThroughTheFile()
    {
        var p = Tensor.FromArray(new[] { 1f, 2f }, 2);
        var opt = new Sgd(new ParameterSet([("w", p)]), new SgdOptions { Momentum = 0.9, LearningRate = 0.1 });
        p.Grad = Tensor.FromArray(new[] { 0.3f, -0.7f }, 2);
        opt.Step();
        string path = Path.Combine(_dir, TrainerCheckpoint.FileName);
        TrainerCheckpoint.Save(path, new TrainerState { Step = 1 }, opt);
        var q = Tensor.FromArray(p.ToArray(), 2);
        var opt2 = new Sgd(new ParameterSet([("w", q)]), new SgdOptions { Momentum = 0.9, LearningRate = 0.5 });
        TrainerCheckpoint.Load(path, opt2);
        Assert.Equal(0.1, opt2.LearningRate);
        var exported = opt2.ExportState().Single(s => s.Name == "momentum_buffer.w").Value.ToArray();
        Assert.Equal(new[] { 0.3f, -0.7f }, exported);
    }
}
