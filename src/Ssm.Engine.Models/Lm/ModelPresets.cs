namespace Ssm.Engine.Models.Lm;

/// <summary>Configurations of well-known checkpoints, for benchmarks and tests with random weights.</summary>
public static class ModelPresets
{
    /// <summary>state-spaces/mamba-130m: D 768, 24 Mamba-1 layers, vocab 50280, N 16, expand 2, K 4, tied.</summary>
    public static ModelConfig Mamba130m => new()
    {
        DModel = 768, NLayer = 24, VocabSize = 50280,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba1, DState = 16, Expand = 2, DConv = 4 },
    };

    /// <summary>state-spaces/mamba2-130m: D 768, 24 Mamba-2 layers (24 heads × 64, N 128, G 1), vocab 50280.
    /// </summary>
    public static ModelConfig Mamba2_130m => new()
    {
        DModel = 768, NLayer = 24, VocabSize = 50280,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 128, Expand = 2, DConv = 4, HeadDim = 64 },
    };

    /// <summary>The preset called <paramref name="name"/> (<c>mamba-130m</c>, <c>mamba2-130m</c>), or null.
    /// </summary>
    public static ModelConfig? Find(string name) => name.ToLowerInvariant() switch
    {
        "mamba-130m" or "mamba1-130m" => Mamba130m,
        "mamba2-130m" or "mamba-2-130m" => Mamba2_130m,
        _ => null,
    };
}
