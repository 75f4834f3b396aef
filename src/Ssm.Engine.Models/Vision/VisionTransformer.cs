using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>timm-style ViT block: x = x + attn(norm1(x)); x = x + mlp(norm2(x)) with softmax multi-head
/// self-attention (<c>attn.qkv</c> d → 3d, <c>attn.proj</c>).</summary>
public sealed class VitBlock : Module
{
    private readonly LayerNorm _norm1, _norm2;
    private readonly Linear _qkv, _proj;
    private readonly Mlp _mlp;

    /// <summary>A block of width <paramref name="dim"/> with <paramref name="heads"/> heads.</summary>
    public VitBlock(int dim, int heads, double mlpRatio, Init init)
    {
        if (dim % heads != 0) throw new ArgumentException($"[vit_block] heads {heads} must divide dim {dim}");
        Heads = heads;
        _norm1 = RegisterModule("norm1", new LayerNorm(dim, 1e-6));
        var attn = RegisterModule("attn", new Container());
        _qkv = attn.Add("qkv", new Linear(dim, 3 * dim, true, init));
        _proj = attn.Add("proj", new Linear(dim, dim, true, init));
        _norm2 = RegisterModule("norm2", new LayerNorm(dim, 1e-6));
        _mlp = RegisterModule("mlp", new Mlp(dim, (int)(dim * mlpRatio), init));
    }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>x: (B, L, d) → (B, L, d).</summary>
    public Tensor Forward(Tensor x)
    {
        int b = x.Shape[0], l = x.Shape[1], d = x.Shape[2], hd = d / Heads;
        var qkv = _qkv.Forward(_norm1.Forward(x)).Reshape(b, l, 3, Heads, hd).Permute(2, 0, 3, 1, 4);
        Tensor q = qkv.Select(0, 0), k = qkv.Select(0, 1), v = qkv.Select(0, 2);  // (B, heads, L, hd)
        var scores = F.MatMul(q, k, transposeA: false, transposeB: true);          // (B, heads, L, L)
        var att = F.Softmax(F.Mul(scores, scores.Scalar(1 / Math.Sqrt(hd))), -1);
        var o = F.MatMul(att, v).Permute(0, 2, 1, 3).Reshape(b, l, d);             // (B, L, d)
        x = F.Add(x, _proj.Forward(o));
        return F.Add(x, _mlp.Forward(_norm2.Forward(x)));
    }

    private sealed class Container : Module
    {
        public T Add<T>(string name, T child) where T : Module => RegisterModule(name, child);
    }
}

/// <summary>A small ViT classifier, the attention baseline: patch embedding (<c>patch_embed.proj.*</c>), a learned
/// position embedding (<c>pos_embed</c>), <see cref="VitBlock"/>s (<c>blocks.{i}</c>), <c>norm</c>, mean pooling
/// over the tokens and <c>head</c>.</summary>
public sealed class VisionTransformer : ImageClassifier
{
    private readonly ModuleList<VitBlock> _blocks;
    private readonly LayerNorm _norm;
    private readonly Linear _head;

    /// <summary>A ViT of <paramref name="config"/> (width Dims[0], depth ΣDepths) initialised from
    /// <paramref name="seed"/>.</summary>
    public VisionTransformer(VisionModelConfig config, int seed)
    {
        config.Validate();
        Config = config;
        var init = new Init(seed);
        int d = config.Dims[0], p = config.PatchSize, g = config.ImageSize / p, fan = config.Channels * p * p;
        RegisterParameter("patch_embed.proj.weight", init.FanIn(fan, d, config.Channels, p, p));
        RegisterParameter("patch_embed.proj.bias", init.FanIn(fan, d));
        RegisterParameter("pos_embed", init.Normal(0.02, 1, g * g, d));
        _blocks = RegisterModule("blocks", new ModuleList<VitBlock>());
        for (int i = 0; i < config.Depths.Sum(); i++) _blocks.Add(new VitBlock(d, config.Heads, config.MlpRatio, init));
        _norm = RegisterModule("norm", new LayerNorm(d, 1e-6));
        _head = RegisterModule("head", new Linear(d, config.NumClasses, true, init));
    }

    /// <summary>The configuration.</summary>
    public VisionModelConfig Config { get; }

    /// <inheritdoc/>
    public override Tensor Logits(Tensor images)
    {
        var c = Config;
        if (images.Rank != 4 || images.Shape[1] != c.Channels || images.Shape[2] != c.ImageSize
            || images.Shape[3] != c.ImageSize)
            throw new ArgumentException($"[vision_transformer] images {ShapeUtil.Format(images.Shape)} must be " +
                $"(B, {c.Channels}, {c.ImageSize}, {c.ImageSize})");
        var x = F.Add(F.PatchEmbed(images, Param("patch_embed.proj.weight"), Param("patch_embed.proj.bias"),
            c.PatchSize), Param("pos_embed"));                                      // (B, M, d)
        for (int i = 0; i < _blocks.Count; i++) x = _blocks[i].Forward(x);
        return _head.Forward(F.Mean(_norm.Forward(x), 1));                         // (B, classes)
    }
}
