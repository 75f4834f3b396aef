using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops.Vision;

public class VisionOpsTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    [Fact]
    public void PatchEmbed_TokensAreRowMajorPatchProjections()
    {
        var x = R(1, 2, 3, 4, 6);
        var w = R(2, 5, 3, 2, 2);
        var b = R(3, 5);
        var t = F.PatchEmbed(x, w, b, 2);                        // grid 2 × 3
        Assert.Equal([2, 6, 5], t.Shape);
        // token i·3 + j, channel e = bias[e] + Σ w[e,c,u,v]·x[c, 2i+u, 2j+v]
        for (int bi = 0; bi < 2; bi++)
        for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
        for (int e = 0; e < 5; e++)
        {
            double s = b[e];
            for (int c = 0; c < 3; c++)
            for (int u = 0; u < 2; u++)
            for (int v = 0; v < 2; v++) s += w[e, c, u, v] * x[bi, c, 2 * i + u, 2 * j + v];
            Assert.Equal(s, t[bi, i * 3 + j, e], 10);
        }
        GradCheck.Check(xs => F.PatchEmbed(xs[0], xs[1], xs[2], 2), [x, w, b], op: "patch_embed");
    }

    [Fact]
    public void LayerNorm2d_ChannelFirstEqualsChannelLastPermuted_AndGradChecks()
    {
        var x = R(4, 2, 3, 4, 5);                                // (B, C=3, H, W)
        var w = R(5, 3);
        var b = R(6, 3);
        var cf = F.LayerNorm2d(x, w, b, 1e-6, channelFirst: true);
        var cl = F.LayerNorm2d(x.Permute(0, 2, 3, 1).Contiguous(), w, b, 1e-6).Permute(0, 3, 1, 2);
        TensorAssert.Close(cl, cf, 1e-12, 0);
        GradCheck.Check(xs => F.LayerNorm2d(xs[0], xs[1], xs[2], 1e-6, channelFirst: true), [x, w, b],
            op: "layer_norm2d cf");
        GradCheck.Check(xs => F.LayerNorm2d(xs[0], xs[1], xs[2], 1e-6), [R(7, 2, 2, 3, 4), R(8, 4), R(9, 4)],
            op: "layer_norm2d cl");
    }

    [Fact]
    public void AvgPool2d_AveragesWindows_AndGradChecks()
    {
        var x = Tensor.FromArray(Enumerable.Range(1, 16).Select(v => (double)v).ToArray(), 1, 1, 4, 4);
        var y = F.AvgPool2d(x, 2);
        TensorAssert.Close(Tensor.FromArray(new double[] { 3.5, 5.5, 11.5, 13.5 }, 1, 1, 2, 2), y, 1e-12, 0);
        GradCheck.Check(t => F.AvgPool2d(t, 3, 2, 1), R(10, 2, 3, 5, 6), op: "avg_pool2d");
    }

    [Fact]
    public void GlobalAvgPool2d_MeansOverSpace_InBothLayouts()
    {
        var x = R(11, 2, 3, 4, 5);
        var cf = F.GlobalAvgPool2d(x);
        var cl = F.GlobalAvgPool2d(x.Permute(0, 2, 3, 1), channelFirst: false);
        Assert.Equal([2, 3], cf.Shape);
        TensorAssert.Close(cf, cl, 1e-12, 0);
        Assert.Equal(F.Mean(x.Select(0, 1).Select(0, 2)).Item(), cf[1, 2], 12);
        GradCheck.Check(t => F.GlobalAvgPool2d(t), x, op: "global_avg_pool2d");
    }

    [Fact]
    public void DropPath_DropsWholeSamples_IsSeeded_AndIdentityInEval()
    {
        var x = Tensor.Ones([64, 3, 2], DType.Float64);
        var y = F.DropPath(x, 0.25, seed: 5);
        TensorAssert.Equal(y, F.DropPath(x, 0.25, seed: 5));
        int dropped = 0;
        for (int b = 0; b < 64; b++)
        {
            var s = y.Select(0, b).ToDoubleArray();
            Assert.True(s.All(v => v == 0) || s.All(v => Math.Abs(v - 4.0 / 3) < 1e-12), $"sample {b} mixed");
            if (s[0] == 0) dropped++;
        }
        Assert.InRange(dropped, 6, 30);
        Assert.Same(x, F.DropPath(x, 0.25, seed: 5, training: false));
        GradCheck.Check(t => F.DropPath(t, 0.5, seed: 2), R(12, 6, 2, 3), op: "drop_path");
    }

    [Fact]
    public void CrossEntropy_LabelSmoothing_MatchesSmoothedTargetDistribution()
    {
        var logits = R(13, 5, 4);
        var targets = Tensor.FromArray(new[] { 0, 3, -100, 2, 1 }, 5);
        const double eps = 0.2;
        var got = F.CrossEntropy(logits, targets, labelSmoothing: eps).Item();
        var lsm = F.LogSoftmax(logits, -1);
        double want = 0;
        int[] t = [0, 3, -100, 2, 1];
        for (int r = 0; r < 5; r++)
        {
            if (t[r] == -100) continue;
            for (int c = 0; c < 4; c++) want -= ((c == t[r] ? 1 - eps : 0) + eps / 4) * lsm[r, c];
        }
        Assert.Equal(want / 4, got, 12);
        Assert.Equal(F.CrossEntropy(logits, targets).Item(), F.CrossEntropy(logits, targets, 0.0).Item(), 12);
        var none = F.CrossEntropy(logits, targets, eps, reduction: Reduction.None);
        Assert.Equal([5], none.Shape);
        Assert.Equal(0, none[2]);
        Assert.Equal(want, F.CrossEntropy(logits, targets, eps, reduction: Reduction.Sum).Item(), 12);
        GradCheck.Check(l => F.CrossEntropy(l, targets, eps), logits, op: "cross_entropy smoothing");
    }
}
