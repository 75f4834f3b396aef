using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Patch embedding: a convolution whose kernel is the patch (weight (d, Cin, p, p)) with the given
    /// <paramref name="stride"/> (the patch size for non-overlapping patches), flattened to tokens:
    /// x (B, Cin, S, S) → (B, Gh·Gw, d), token i·Gw + j (row-major over the patch grid).</summary>
    public static Tensor PatchEmbed(Tensor x, Tensor weight, Tensor? bias, int stride)
    {
        var t = Conv2d(x, weight, bias, stride);                       // (B, d, Gh, Gw)
        return t.Reshape(t.Shape[0], t.Shape[1], -1).Transpose(1, 2);  // (B, L, d) view
    }

    /// <summary>LayerNorm over the channel dim of an image: channel-last x (B, H, W, C) normalises the last
    /// dim; channel-first x (B, C, H, W) is permuted to channel-last views, normalised and permuted back.
    /// weight and bias (C) optional.</summary>
    public static Tensor LayerNorm2d(Tensor x, Tensor? weight, Tensor? bias, double eps = 1e-5,
        bool channelFirst = false)
    {
        if (x.Rank != 4) throw new ArgumentException($"[layer_norm2d] x {ShapeUtil.Format(x.Shape)} must be rank 4");
        if (!channelFirst) return LayerNorm(x, weight, bias, eps);
        return LayerNorm(x.Permute(0, 2, 3, 1), weight, bias, eps).Permute(0, 3, 1, 2);
    }

    /// <summary>2-D average pooling of x (B, C, H, W) over k×k windows with the given stride (default k) and
    /// zero padding counted in the divisor (PyTorch <c>count_include_pad=True</c>).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"[avg_pool2d] x {ShapeUtil.Format(x.Shape)} must be (B, C, H, W)");
        if (kernel < 1) throw new ArgumentException($"[avg_pool2d] kernel must be positive, got {kernel}");
        int c = x.Shape[1];
        var w = Tensor.Full([c, 1, kernel, kernel], 1.0 / (kernel * kernel), x.DType).To(x.Device);
        return Conv2d(x, w, null, stride ?? kernel, padding, 1, groups: c);
    }

    /// <summary>Global average pooling over the spatial dims: (B, C, H, W) → (B, C) when channel-first,
    /// (B, H, W, C) → (B, C) otherwise.</summary>
    public static Tensor GlobalAvgPool2d(Tensor x, bool channelFirst = true)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"[global_avg_pool2d] x {ShapeUtil.Format(x.Shape)} must be rank 4");
        return channelFirst ? Mean(x, [2, 3]) : Mean(x, [1, 2]);
    }

    /// <summary>Drop path (stochastic depth): each sample of the batch (dim 0) is zeroed with probability
    /// <paramref name="p"/> and the kept ones scaled by 1/(1−p). The per-sample mask comes from
    /// <paramref name="seed"/>. Identity when not training or p = 0.</summary>
    public static Tensor DropPath(Tensor x, double p, int seed, bool training = true)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"[drop_path] p must be in [0, 1), got {p}");
        if (!training || p == 0) return x;
        if (x.Rank == 0) throw new ArgumentException("[drop_path] x needs a batch dim");
        var rng = new Random(seed);
        var m = new double[x.Shape[0]];
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() >= p ? 1 / (1 - p) : 0; // seeded, one per sample
        var shape = new int[x.Rank];
        Array.Fill(shape, 1);
        shape[0] = x.Shape[0];
        return Mul(x, Tensor.FromArray(m, shape).To(x.DType).To(x.Device));
    }

    /// <summary>Cross-entropy with label smoothing ε (torch semantics): the target distribution is
    /// (1−ε)·onehot + ε/C, i.e. loss = (1−ε)·nll + ε·mean_c(−log_softmax). Ignored targets contribute
    /// nothing
    /// and are not counted by <see cref="Reduction.Mean"/>.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, double labelSmoothing, int ignoreIndex = -100,
        Reduction reduction = Reduction.Mean)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentException($"[cross_entropy] label smoothing must be in [0, 1], got {labelSmoothing}");
        if (labelSmoothing == 0) return CrossEntropy(logits, targets, ignoreIndex, reduction);
        var nll = CrossEntropy(logits, targets, ignoreIndex, Reduction.None);          // (...) checks shapes
        int[] t = Indexing.Read("cross_entropy", targets);
        var keep = Tensor.FromArray(t.Select(v => v == ignoreIndex ? 0.0 : 1.0).ToArray(), targets.Shape)
            .To(logits.DType);
        var smooth = Mul(Neg(Mean(LogSoftmax(logits, -1), -1)), keep);
        var per = Add(Mul(nll, nll.Scalar(1 - labelSmoothing)), Mul(smooth, smooth.Scalar(labelSmoothing)));
        int valid = t.Count(v => v != ignoreIndex);
        return reduction switch
        {
            Reduction.None => per,
            Reduction.Sum => Sum(per),
            _ => Div(Sum(per), per.Scalar(valid)),
        };
    }
}
