namespace Ssm.Engine.Models.Vision;

/// <summary>Builds the image classifier of a <see cref="VisionModelConfig"/>.</summary>
public static class VisionModels
{
    /// <summary>The untrained model of <paramref name="config"/>, initialised from <paramref name="seed"/>.</summary>
    public static ImageClassifier Create(VisionModelConfig config, int seed)
    {
        config.Validate();
        return config.Family switch
        {
            VisionFamily.Vim => new VisionMamba(VimConfigOf(config), seed),
            VisionFamily.Vit => new VisionTransformer(config, seed),
            _ => new HierarchicalClassifier(config, seed),
        };
    }

    /// <summary>The Vim configuration of <paramref name="config"/>: non-overlapping patches, width Dims[0], depth
    /// ΣDepths, expand ⌊SsmRatio⌋, d_conv 4, dt rank ⌈d/16⌉, RMSNorm ε 1e-5, averaged directions.</summary>
    public static VimConfig VimConfigOf(VisionModelConfig config)
    {
        int d = config.Dims[0];
        return new VimConfig(config.ImageSize, config.PatchSize, config.PatchSize, config.Depths.Sum(), d,
            config.DState, config.Channels, config.NumClasses, 4, Math.Max(1, (int)config.SsmRatio), (d + 15) / 16,
            1e-5, true);
    }
}
