using Ssm.Engine.Models.Lm;

namespace Ssm.Engine.Models.Tests.Lm;

/// <summary>Small configurations covering every layer kind, the MLP and both head variants.</summary>
internal static class TinyModels
{
    public static ModelConfig Mamba1 => new()
    {
        DModel = 16, NLayer = 2, VocabSize = 30, PadVocabSizeMultiple = 8, TieEmbeddings = false,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba1, DState = 4, DConv = 3 },
    };

    public static ModelConfig Mamba2 => new()
    {
        DModel = 16, NLayer = 2, VocabSize = 32,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 4, HeadDim = 8, NGroups = 2, ChunkSize = 3 },
    };

    public static ModelConfig Hybrid => new()
    {
        DModel = 16, NLayer = 3, VocabSize = 20, DIntermediate = 24, AttnLayerIdx = [1],
        Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 4, HeadDim = 8, ChunkSize = 4 },
        Attention = new AttentionConfig { NumHeads = 4, NumHeadsKv = 2, QkvProjBias = true, OutProjBias = false },
    };

    public static IEnumerable<object[]> All() =>
        [[nameof(Mamba1)], [nameof(Mamba2)], [nameof(Hybrid)]];

    public static ModelConfig ByName(string name) => name switch
    {
        nameof(Mamba1) => Mamba1,
        nameof(Mamba2) => Mamba2,
        _ => Hybrid,
    };
}
