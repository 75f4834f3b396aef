using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>Outputs of <see cref="VisionMamba.Forward"/>: the embedded tokens with the class token (B, M+1, d), the
/// normed class-token features (B, d) and the class logits (B, classes).</summary>
public sealed record VimOutput(Tensor Embed, Tensor Features, Tensor Logits);

/// <summary>hustvl/Vim <c>VisionMamba</c> classifier: patch embedding, a class token inserted in the middle of the
/// patch tokens, a learned position embedding, <see cref="VimBlock"/>s, a final RMSNorm and a linear head on the
/// class token. Parameter names and order follow the upstream state dict (<c>cls_token</c>, <c>pos_embed</c>,
/// <c>patch_embed.proj.*</c>, <c>head.*</c>, <c>layers.{i}.*</c>, <c>norm_f.weight</c>), so a checkpoint of the
/// official code loads by name (<see cref="VimLoader"/>).</summary>
public sealed class VisionMamba : ImageClassifier
{
    /// <summary>A model of the given configuration, initialised from <paramref name="seed"/>.</summary>
    public VisionMamba(VimConfig config, int seed = 0)
    {
        Config = config;
        var init = new Init(seed);
        int d = config.EmbedDim, p = config.PatchSize;
        RegisterParameter("cls_token", init.Normal(0.02, 1, 1, d));
        RegisterParameter("pos_embed", init.Normal(0.02, 1, config.NumPatches + 1, d));
        int fan = config.Channels * p * p;
        RegisterParameter("patch_embed.proj.weight", init.FanIn(fan, d, config.Channels, p, p));
        RegisterParameter("patch_embed.proj.bias", init.FanIn(fan, d));
        RegisterParameter("head.weight", init.FanIn(d, config.NumClasses, d));
        RegisterParameter("head.bias", init.FanIn(d, config.NumClasses));
        Layers = RegisterModule("layers", new ModuleList<VimBlock>());
        for (int i = 0; i < config.Depth; i++)
            Layers.Add(new VimBlock(d, config.DState, config.Expand, config.DConv, config.DtRank, config.DivideOut,
                config.NormEpsilon, init));
        NormF = RegisterModule("norm_f", new RmsNorm(d, config.NormEpsilon));
    }

    /// <summary>The configuration.</summary>
    public VimConfig Config { get; }

    /// <summary>The blocks.</summary>
    public ModuleList<VimBlock> Layers { get; }

    /// <summary>The final norm.</summary>
    public RmsNorm NormF { get; }

    /// <inheritdoc/>
    public override Tensor Logits(Tensor images) => Forward(images).Logits;

    /// <summary>x: (B, Cin, S, S) image → embeddings, class-token features and logits.</summary>
    public VimOutput Forward(Tensor x)
    {
        var c = Config;
        if (x.Rank != 4 || x.Shape[1] != c.Channels || x.Shape[2] != c.ImgSize || x.Shape[3] != c.ImgSize)
            throw new ArgumentException($"[vision_mamba] x {ShapeUtil.Format(x.Shape)} must be (B, {c.Channels}, " +
                $"{c.ImgSize}, {c.ImgSize})");
        var w = Param("patch_embed.proj.weight");
        var bias = Param("patch_embed.proj.bias");
        var t = F.PatchEmbed(x, w, bias, c.Stride);                            // (B, M, d), token i·g + j
        int pos = c.ClassTokenPosition;
        var embed = F.Add(F.InsertClassToken(t, Param("cls_token"), pos), Param("pos_embed"));   // (B, M+1, d)
        Tensor h = embed;
        Tensor? res = null;
        for (int i = 0; i < Layers.Count; i++) (h, res) = Layers[i].Forward(h, res);
        var normed = F.RmsNorm(res is null ? h : F.Add(h, res), NormF.Weight, c.NormEpsilon);
        var features = normed.Select(1, pos);                                                  // (B, d)
        return new VimOutput(embed, features, F.Linear(features, Param("head.weight"), Param("head.bias")));
    }
}
