namespace Ssm.Engine.Models.Lm;

/// <summary>Options of the SSM layers (mamba_ssm <c>ssm_cfg</c>); null sizes take the layer's upstream
/// default (d_state 16 for Mamba-1, 128 for Mamba-2).</summary>
public sealed record SsmConfig
{
    /// <summary>Mamba1 or Mamba2.</summary>
    public LayerKind Layer { get; init; } = LayerKind.Mamba1;
    /// <summary>N; null = 16 (Mamba-1) or 128 (Mamba-2).</summary>
    public int? DState { get; init; }
    /// <summary>K, the conv width.</summary>
    public int DConv { get; init; } = 4;
    /// <summary>d_inner = expand · d_model.</summary>
    public int Expand { get; init; } = 2;
    /// <summary>R (Mamba-1); null = ceil(d_model / 16).</summary>
    public int? DtRank { get; init; }
    /// <summary>P (Mamba-2).</summary>
    public int HeadDim { get; init; } = 64;
    /// <summary>G (Mamba-2).</summary>
    public int NGroups { get; init; } = 1;
    /// <summary>Q (Mamba-2).</summary>
    public int ChunkSize { get; init; } = 256;
    /// <summary>Bias of the conv.</summary>
    public bool ConvBias { get; init; } = true;
    /// <summary>Biases of in_proj / out_proj.</summary>
    public bool Bias { get; init; }
    /// <summary>Clamp of the processed dt in the Mamba-2 chunked forward.</summary>
    public (float Min, float Max) DtLimit { get; init; } = (0f, float.PositiveInfinity);

    /// <summary>Selective (input-dependent Δ, B, C) or the LTI ablation (Mamba-1 only).</summary>
    public SsmSelectivity Selectivity { get; init; } = SsmSelectivity.Selective;

    /// <summary>The effective N.</summary>
    public int StateSize => DState ?? (Layer == LayerKind.Mamba2 ? 128 : 16);
}

/// <summary>Options of the attention layers (mamba_ssm <c>attn_cfg</c>).</summary>
public sealed record AttentionConfig
{
    /// <summary>Query heads.</summary>
    public int NumHeads { get; init; } = 1;
    /// <summary>KV heads; null = <see cref="NumHeads"/>.</summary>
    public int? NumHeadsKv { get; init; }
    /// <summary>Head size; null = d_model / num_heads.</summary>
    public int? HeadDim { get; init; }
    /// <summary>Bias of the q/k/v projection.</summary>
    public bool QkvProjBias { get; init; } = true;
    /// <summary>Bias of the output projection.</summary>
    public bool OutProjBias { get; init; } = true;
    /// <summary>Softmax scale; null = 1/sqrt(head_dim).</summary>
    public double? SoftmaxScale { get; init; }
}

/// <summary>A mamba_ssm <c>MambaLMHeadModel</c>-style language model: sizes, layer kinds and head.</summary>
public sealed record ModelConfig
{
    /// <summary>Residual width.</summary>
    public required int DModel { get; init; }
    /// <summary>Number of blocks.</summary>
    public required int NLayer { get; init; }
    /// <summary>Vocabulary size before padding.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Embedding rows are padded up to a multiple of this.</summary>
    public int PadVocabSizeMultiple { get; init; } = 8;
    /// <summary>The head reuses the embedding matrix.</summary>
    public bool TieEmbeddings { get; init; } = true;
    /// <summary>Gated MLP hidden size after each mixer (0 = no MLP).</summary>
    public int DIntermediate { get; init; }
    /// <summary>SSM layer options.</summary>
    public SsmConfig Ssm { get; init; } = new();
    /// <summary>Indices of attention layers.</summary>
    public int[] AttnLayerIdx { get; init; } = [];
    /// <summary>Attention options.</summary>
    public AttentionConfig Attention { get; init; } = new();
    /// <summary>RMSNorm epsilon of every norm.</summary>
    public double NormEps { get; init; } = 1e-5;

    /// <summary>Rows of the embedding and columns of the logits.</summary>
    public int PaddedVocabSize =>
        PadVocabSizeMultiple <= 1 ? VocabSize
            : (VocabSize + PadVocabSizeMultiple - 1) / PadVocabSizeMultiple * PadVocabSizeMultiple;

    /// <summary>The mixer of layer <paramref name="i"/>.</summary>
    public LayerKind KindOf(int i) => AttnLayerIdx.Contains(i) ? LayerKind.Attention : Ssm.Layer;

    /// <summary>d_inner of the SSM layers.</summary>
    public int DInner => Ssm.Expand * DModel;

    /// <summary>Throws <see cref="ModelConfigException"/> listing every inconsistency.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (DModel < 1 || NLayer < 1 || VocabSize < 1)
            errors.Add($"d_model {DModel}, n_layer {NLayer} and vocab_size {VocabSize} must be positive");
        if (AttnLayerIdx.Any(i => i < 0 || i >= NLayer))
            errors.Add($"attn_layer_idx [{string.Join(", ", AttnLayerIdx)}] outside 0..{NLayer - 1}");
        if (Ssm.Layer == LayerKind.Attention) errors.Add("ssm_cfg.layer must be Mamba1 or Mamba2");
        if (Ssm.Layer == LayerKind.Mamba2)
        {
            if (Ssm.HeadDim < 1 || DInner % Ssm.HeadDim != 0)
                errors.Add($"d_inner {DInner} is not a multiple of headdim {Ssm.HeadDim}");
            else if (Ssm.NGroups < 1 || (DInner / Ssm.HeadDim) % Ssm.NGroups != 0)
                errors.Add($"heads {DInner / Ssm.HeadDim} are not a multiple of ngroups {Ssm.NGroups}");
            if (Ssm.ChunkSize < 1) errors.Add($"chunk_size {Ssm.ChunkSize} must be positive");
        }
        if (AttnLayerIdx.Length > 0)
        {
            var a = Attention;
            int kv = a.NumHeadsKv ?? a.NumHeads;
            if (a.NumHeads < 1 || kv < 1 || a.NumHeads % kv != 0)
                errors.Add($"attn num_heads {a.NumHeads} is not a multiple of num_heads_kv {kv}");
            else if (a.HeadDim is null && DModel % a.NumHeads != 0)
                errors.Add($"d_model {DModel} is not a multiple of attn num_heads {a.NumHeads}");
        }
        if (Ssm.Selectivity == SsmSelectivity.Lti && Ssm.Layer != LayerKind.Mamba1)
            errors.Add("ssm_cfg.selectivity = lti needs Mamba1 layers");
        if (Ssm.DConv < 1) errors.Add($"d_conv {Ssm.DConv} must be positive");
        if (errors.Count > 0) throw new ModelConfigException(errors);
    }
}

/// <summary>A configuration the engine cannot build: every problem is listed.</summary>
public sealed class ModelConfigException(IReadOnlyList<string> problems)
    : Exception("[model_config] " + string.Join("; ", problems))
{
    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
