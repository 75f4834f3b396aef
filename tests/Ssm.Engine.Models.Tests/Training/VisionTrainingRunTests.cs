using Ssm.Engine.Models.Training;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Tests.Training;

public sealed class VisionTrainingRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vision-run-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A learnable set: class k has a bright 6×6 square at a class-specific place, plus noise.</summary>
    internal static ImageDataset Squares(int n, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[n * 784];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int k = rng.Next(10), r0 = k / 5 * 12 + 4, c0 = k % 5 * 5 + 1;
            labels[i] = (byte)k;
            for (int p = 0; p < 784; p++) px[i * 784 + p] = (byte)rng.Next(40);
            for (int r = r0; r < r0 + 6; r++)
                for (int c = c0; c < c0 + 6 && c < 28; c++) px[i * 784 + r * 28 + c] = 230;
        }
        return new ImageDataset(px, labels, 28, 28, 10);
    }

    private static VisionRunOptions Tiny(VisionFamily f) => new()
    {
        Model = new VisionModelConfig { Family = f, Dims = [8, 16], Depths = [1, 1], DState = 2, Heads = 1 },
        Epochs = 2, Batch = 16, LearningRate = 1e-2, Warmup = 2, Seed = 7, Augment = false, DataDir = "unused",
    };

    [Fact]
    public void Train_FewSteps_LossDecreases_AndWritesTheRunDirectory()
    {
        string dir = Path.Combine(_root, "a");
        var losses = new List<double>();
        var run = VisionTrainingRun.Open(Tiny(VisionFamily.Vssd), dir, Squares(160, 1), Squares(40, 2));
        run.Train(m => losses.Add(m.Loss));
        Assert.Equal(20, losses.Count);
        Assert.True(losses.Skip(17).Average() < losses.Take(3).Average() - 0.2,
            $"loss {losses.Take(3).Average():F3} → {losses.Skip(17).Average():F3}");
        Assert.Equal(2, run.Epochs.Count);
        foreach (var f in new[] { "vision.json", "config.json", "model.safetensors", "trainer_state.safetensors",
                     "metrics.csv", "epochs.csv" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal(run.Epochs, VisionTrainingRun.ReadEpochs(Path.Combine(dir, "epochs.csv")));

        var (model, options) = VisionEvaluator.Load(dir);
        Assert.True(options.SameAs(run.Options));
        var eval = VisionEvaluator.Evaluate(model, new ImageBatcher(Squares(40, 2), options.PixelMean,
            options.PixelStd), 16);
        Assert.Equal(run.Epochs[^1].TestAccuracy, eval.Accuracy, 6);
    }

    [Fact]
    public void Resume_AfterFirstEpoch_EndsWithTheUninterruptedWeights()
    {
        var train = Squares(64, 3);
        var test = Squares(16, 4);
        var o = Tiny(VisionFamily.MambaOut) with { Augment = true };
        var straight = VisionTrainingRun.Open(o, Path.Combine(_root, "s"), train, test);
        straight.Train();
        var first = VisionTrainingRun.Open(o, Path.Combine(_root, "r"), train, test);
        first.Train(stopAfterEpoch: 1);
        Assert.Equal(1, first.EpochsDone);
        var resumed = VisionTrainingRun.Open(o, Path.Combine(_root, "r"), train, test);
        Assert.True(resumed.Resumed);
        resumed.Train();
        Assert.Equal(2, resumed.Epochs.Count);
        var a = straight.Model.NamedParameters().Select(p => p.Value.ToArray()).ToList();
        var b = resumed.Model.NamedParameters().Select(p => p.Value.ToArray()).ToList();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Open_DirectoryWithOtherSettings_Throws()
    {
        string dir = Path.Combine(_root, "c");
        VisionTrainingRun.Open(Tiny(VisionFamily.Vit), dir, Squares(32, 1), Squares(8, 2));
        Assert.Throws<ArgumentException>(() =>
            VisionTrainingRun.Open(Tiny(VisionFamily.Vit) with { Seed = 8 }, dir, Squares(32, 1), Squares(8, 2)));
    }

    [Fact]
    public void Batcher_NormalisesShiftsAndFlipsDeterministically()
    {
        var d = new ImageDataset(Enumerable.Range(0, 2 * 784).Select(i => (byte)(i % 251)).ToArray(), [3, 4], 28, 28,
            10);
        var plain = new ImageBatcher(d, 0.5, 0.25).Images([1]).ToArray();
        Assert.Equal(((784 + 5) % 251 / 255.0 - 0.5) / 0.25, plain[5], 5);
        var b = new ImageBatcher(d, 0.5, 0.25);
        var x1 = b.Images([0, 1], new PhiloxRandom(9, 2)).ToArray();
        var x2 = b.Images([0, 1], new PhiloxRandom(9, 2)).ToArray();
        Assert.Equal(x1, x2);
        var up = new ImageBatcher(d, 0.5, 0.25, upsample: 2).Images([0]);
        Assert.Equal([1, 1, 56, 56], up.Shape);
        Assert.Equal(up.ToArray()[0], up.ToArray()[57]);                                  // 2×2 blocks
        Assert.Equal([3], b.Labels([0]).ToArray<int>());
    }

    [Fact]
    public void EpochOrder_IsAPermutation_FixedBySeedAndEpoch()
    {
        var a = ImageBatcher.EpochOrder(100, 1, 0);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
        Assert.Equal(a, ImageBatcher.EpochOrder(100, 1, 0));
        Assert.NotEqual(a, ImageBatcher.EpochOrder(100, 1, 1));
    }
}
