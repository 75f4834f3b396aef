using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>The stage layout shared by VMamba, VSSD and MambaOut: a convolutional stem (<c>patch_embed</c>, /2 or
/// /4), stages of family blocks on channel-last grids (<c>layers.{i}.blocks.{j}</c>) joined by downsampling
/// (<c>layers.{i}.downsample</c>: VMamba's <see cref="PatchMerging2d"/>, otherwise conv 3×3 s2 + LayerNorm as
/// VMamba v3 / MambaOut), then <c>classifier.norm</c> → global average pool → <c>classifier.head</c>.</summary>
public sealed class HierarchicalClassifier : ImageClassifier
{
    private readonly List<List<Func<Tensor, Tensor>>> _stages = [];
    private readonly List<Func<Tensor, Tensor>?> _downsample = [];

    /// <summary>A model of <paramref name="config"/> (family VMamba, VSSD or MambaOut) initialised from
    /// <paramref name="seed"/>.</summary>
    public HierarchicalClassifier(VisionModelConfig config, int seed)
    {
        config.Validate();
        if (config.Family is not (VisionFamily.Vmamba or VisionFamily.Vssd or VisionFamily.MambaOut))
            throw new ArgumentException($"[hierarchical_classifier] {config.Family} is not a hierarchical family");
        Config = config;
        var init = new Init(seed);
        var dims = config.Dims;
        Stem = RegisterModule("patch_embed", new ConvStem(config.Channels, dims[0], config.PatchSize, init));
        var layers = RegisterModule("layers", new ModuleList<Stage>());
        for (int i = 0; i < dims.Length; i++)
        {
            var stage = new Stage();
            var blocks = stage.AddBlocks();
            var fs = new List<Func<Tensor, Tensor>>();
            for (int j = 0; j < config.Depths[i]; j++) fs.Add(Block(config, i, blocks, init));
            _stages.Add(fs);
            Func<Tensor, Tensor>? down = null;
            if (i + 1 < dims.Length)
            {
                if (config.Family == VisionFamily.Vmamba)
                    down = stage.Add("downsample", new PatchMerging2d(dims[i], dims[i + 1], init)).Forward;
                else down = stage.Add("downsample", new ConvDownsample(dims[i], dims[i + 1], init)).Forward;
            }
            _downsample.Add(down);
            layers.Add(stage);
        }
        var cls = RegisterModule("classifier", new Stage());
        Norm = cls.Add("norm", new LayerNorm(dims[^1]));
        Head = cls.Add("head", new Linear(dims[^1], config.NumClasses, true, init));
    }

    /// <summary>The configuration.</summary>
    public VisionModelConfig Config { get; }

    /// <summary>The stem.</summary>
    public ConvStem Stem { get; }

    /// <summary>The final norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>The classification head.</summary>
    public Linear Head { get; }

    /// <inheritdoc/>
    public override Tensor Logits(Tensor images)
    {
        var c = Config;
        if (images.Rank != 4 || images.Shape[1] != c.Channels)
            throw new ArgumentException($"[hierarchical_classifier] images {ShapeUtil.Format(images.Shape)} must be " +
                $"(B, {c.Channels}, H, W)");
        var x = Stem.Forward(images);                                              // (B, H, W, C0)
        for (int i = 0; i < _stages.Count; i++)
        {
            foreach (var block in _stages[i]) x = block(x);
            if (_downsample[i] is { } down) x = down(x);
        }
        var pooled = F.GlobalAvgPool2d(Norm.Forward(x), channelFirst: false);      // (B, C)
        return Head.Forward(pooled);
    }

    private static Func<Tensor, Tensor> Block(VisionModelConfig c, int stage, ModuleList<Module> blocks, Init init)
    {
        int dim = c.Dims[stage];
        switch (c.Family)
        {
            case VisionFamily.Vmamba:
                var vss = new VssBlock(dim, c.DState, c.SsmRatio, 3, false, Ss2dForwardType.V05NoZ, c.MlpRatio, init);
                blocks.Add(vss);
                return vss.Forward;
            case VisionFamily.Vssd:
                var vssd = new VssdBlock(dim, c.Heads << stage, c.DState, (int)c.SsmRatio, c.MlpRatio, init);
                blocks.Add(vssd);
                return vssd.Forward;
            default:
                var g = new GatedCnnBlock(dim, init, c.MlpRatio > 0 ? c.MlpRatio : 8.0 / 3);
                blocks.Add(g);
                return g.Forward;
        }
    }

    /// <summary>A named container for a stage's children.</summary>
    private sealed class Stage : Module
    {
        public ModuleList<Module> AddBlocks() => RegisterModule("blocks", new ModuleList<Module>());

        public T Add<T>(string name, T child) where T : Module => RegisterModule(name, child);
    }
}

/// <summary>Convolutional stem on images (B, Cin, S, S) → channel-last (B, S/f, S/f, C): f = 2 is conv 3×3 s2 → C
/// + LayerNorm; f = 4 is conv 3×3 s2 → C/2, LayerNorm, GELU, conv 3×3 s2 → C, LayerNorm (VMamba v2 / MambaOut
/// stem). Parameters: <c>conv1.*</c>, <c>norm1.*</c> (and <c>conv2.*</c>, <c>norm2.*</c>).</summary>
public sealed class ConvStem : Module
{
    private readonly LayerNorm _norm1;
    private readonly LayerNorm? _norm2;

    /// <summary>A stem from <paramref name="inChannels"/> to <paramref name="dim"/> reducing the side by
    /// <paramref name="factor"/> (2 or 4).</summary>
    public ConvStem(int inChannels, int dim, int factor, Init init)
    {
        if (factor is not (2 or 4)) throw new ArgumentException($"[conv_stem] factor {factor} must be 2 or 4");
        int mid = factor == 2 ? dim : Math.Max(1, dim / 2);
        RegisterParameter("conv1.weight", init.FanIn(9 * inChannels, mid, inChannels, 3, 3));
        RegisterParameter("conv1.bias", init.FanIn(9 * inChannels, mid));
        _norm1 = RegisterModule("norm1", new LayerNorm(mid));
        if (factor == 4)
        {
            RegisterParameter("conv2.weight", init.FanIn(9 * mid, dim, mid, 3, 3));
            RegisterParameter("conv2.bias", init.FanIn(9 * mid, dim));
            _norm2 = RegisterModule("norm2", new LayerNorm(dim));
        }
    }

    /// <summary>images: (B, Cin, S, S) → (B, S', S', C).</summary>
    public Tensor Forward(Tensor images)
    {
        var x = F.Conv2d(images, Param("conv1.weight"), Param("conv1.bias"), 2, 1).Permute(0, 2, 3, 1);
        x = _norm1.Forward(x);
        if (!HasParam("conv2.weight")) return x;
        x = F.Gelu(x).Permute(0, 3, 1, 2).Contiguous();
        x = F.Conv2d(x, Param("conv2.weight"), Param("conv2.bias"), 2, 1).Permute(0, 2, 3, 1);
        return _norm2!.Forward(x);
    }
}

/// <summary>Downsampling by a 3×3 stride-2 convolution (padding 1) and a LayerNorm on channel-last grids
/// (VMamba downsample v3, MambaOut <c>DownsampleLayer</c>): (B, H, W, C) → (B, ⌈H/2⌉, ⌈W/2⌉, C').
/// Parameters: <c>conv.*</c>, <c>norm.*</c>.</summary>
public sealed class ConvDownsample : Module
{
    private readonly LayerNorm _norm;

    /// <summary>A downsample from <paramref name="dim"/> to <paramref name="outDim"/> channels.</summary>
    public ConvDownsample(int dim, int outDim, Init init)
    {
        RegisterParameter("conv.weight", init.FanIn(9 * dim, outDim, dim, 3, 3));
        RegisterParameter("conv.bias", init.FanIn(9 * dim, outDim));
        _norm = RegisterModule("norm", new LayerNorm(outDim));
    }

    /// <summary>x: (B, H, W, C) → (B, H', W', C').</summary>
    public Tensor Forward(Tensor x)
    {
        var y = F.Conv2d(x.Permute(0, 3, 1, 2).Contiguous(), Param("conv.weight"), Param("conv.bias"), 2, 1);
        return _norm.Forward(y.Permute(0, 2, 3, 1));
    }
}
