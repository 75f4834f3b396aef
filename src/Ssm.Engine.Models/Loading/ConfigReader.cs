using System.Text.Json;
using Ssm.Engine.Models.Lm;

namespace Ssm.Engine.Models.Loading;

/// <summary>Which checkpoint layout a directory holds.</summary>
public enum CheckpointFormat
{
    /// <summary>mamba_ssm <c>MambaLMHeadModel</c> (config d_model / n_layer / ssm_cfg).</summary>
    Native,
    /// <summary>transformers <c>MambaForCausalLM</c> / <c>Mamba2ForCausalLM</c>.</summary>
    HuggingFace,
}

/// <summary>Reads mamba_ssm and transformers config.json files into a <see cref="ModelConfig"/>. Computation
/// keys are applied, metadata and initialisation keys accepted, unsupported computation variants rejected,
/// and unknown keys reported as warnings.</summary>
public static class ConfigReader
{
    private static readonly string[] Metadata =
    [
        "architectures", "transformers_version", "_name_or_path", "torch_dtype", "model_type", "use_cache",
        "pad_token_id", "bos_token_id", "eos_token_id", "initializer_range", "rescale_prenorm_residual",
        "_attn_implementation", "output_hidden_states", "return_dict", "dtype",
    ];

    /// <summary>Detects the format from the keys: <c>d_model</c> = native, <c>hidden_size</c> = transformers.
    /// </summary>
    public static CheckpointFormat Detect(JsonElement root) =>
        root.TryGetProperty("d_model", out _) ? CheckpointFormat.Native
        : root.TryGetProperty("hidden_size", out _) ? CheckpointFormat.HuggingFace
        : throw new ModelConfigReadException("neither d_model (mamba_ssm) nor hidden_size (transformers) is present");

    /// <summary>Reads a config.json file (Python's bare Infinity/NaN accepted).</summary>
    public static (ModelConfig Config, CheckpointFormat Format) ReadFile(string path, List<string> warnings)
    {
        using var doc = LenientJson.Parse(File.ReadAllText(path));
        var format = Detect(doc.RootElement);
        var config = format == CheckpointFormat.Native ? ReadNative(doc.RootElement, warnings)
            : ReadHuggingFace(doc.RootElement, warnings);
        return (config, format);
    }

    /// <summary>mamba_ssm <c>MambaConfig</c>.</summary>
    public static ModelConfig ReadNative(JsonElement root, List<string> warnings)
    {
        var k = new ConfigKeys(root, "", warnings);
        k.Accept(Metadata);
        k.Require("rms_norm", k.Bool("rms_norm", true), true, "only RMSNorm blocks are implemented");
        k.Accept("residual_in_fp32", "fused_add_norm"); // the residual is always float32; fusion is exact
        int dModel = k.Int("d_model", 2560);
        var ssm = k.Child("ssm_cfg");
        string layer = ssm.String("layer") ?? "Mamba1";
        var kind = layer switch
        {
            "Mamba1" => LayerKind.Mamba1,
            "Mamba2" => LayerKind.Mamba2,
            _ => throw new ModelConfigReadException($"ssm_cfg.layer = {layer} is not supported (Mamba1, Mamba2)"),
        };
        var dtLimit = ssm.Raw("dt_limit") is { ValueKind: JsonValueKind.Array } lim && lim.GetArrayLength() == 2
            ? ((float)LenientJson.Number(lim[0], "ssm_cfg.dt_limit"),
                (float)LenientJson.Number(lim[1], "ssm_cfg.dt_limit"))
            : (0f, float.PositiveInfinity);
        int expand = ssm.Int("expand", 2);
        var ssmCfg = new SsmConfig
        {
            Layer = kind, DState = ssm.IntOrNull("d_state"), DConv = ssm.Int("d_conv", 4), Expand = expand,
            DtRank = ssm.Raw("dt_rank") is { ValueKind: JsonValueKind.Number } r ? r.GetInt32() : null,
            HeadDim = ssm.Int("headdim", 64), NGroups = ssm.Int("ngroups", 1), ChunkSize = ssm.Int("chunk_size", 256),
            ConvBias = ssm.Bool("conv_bias", true), Bias = ssm.Bool("bias", false), DtLimit = dtLimit,
            Selectivity = (ssm.String("selectivity") ?? "selective") switch
            {
                "selective" => SsmSelectivity.Selective,
                "lti" => SsmSelectivity.Lti,
                var v => throw new ModelConfigReadException(
                    $"ssm_cfg.selectivity = {v} is not supported (selective, lti)"),
            },
        };
        if (ssm.IntOrNull("d_ssm") is { } dSsm && dSsm != expand * dModel)
            throw new ModelConfigReadException($"ssm_cfg.d_ssm = {dSsm} is not supported (only d_ssm = d_inner)");
        ssm.Require("rmsnorm", ssm.Bool("rmsnorm", true), true, "Mamba-2 without the gated norm");
        ssm.Require("norm_before_gate", ssm.Bool("norm_before_gate", false), false, "Mamba-2 gates before the norm");
        ssm.Require("D_has_hdim", ssm.Bool("D_has_hdim", false), false, "D is one value per head");
        ssm.Require("learnable_init_states", ssm.Bool("learnable_init_states", false), false, "zero initial states");
        string act = ssm.String("activation") ?? "silu";
        if (act is not ("silu" or "swish")) ssm.Require("activation", act, "silu", "the conv activation is SiLU");
        ssm.Accept("dt_min", "dt_max", "dt_init", "dt_scale", "dt_init_floor", "A_init_range", "use_fast_path",
            "layer_idx", "sequence_parallel", "process_group", "use_mem_eff_path");
        ssm.Finish();
        var attn = k.Child("attn_cfg");
        var attnCfg = new AttentionConfig
        {
            NumHeads = attn.Int("num_heads", 1), NumHeadsKv = attn.IntOrNull("num_heads_kv"),
            HeadDim = attn.IntOrNull("head_dim"), QkvProjBias = attn.Bool("qkv_proj_bias", true),
            OutProjBias = attn.Bool("out_proj_bias", true),
            SoftmaxScale = attn.Raw("softmax_scale") is { } sc
                ? LenientJson.Number(sc, "attn_cfg.softmax_scale") : null,
        };
        var idx = k.Raw("attn_layer_idx") is { ValueKind: JsonValueKind.Array } a
            ? a.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [];
        if (idx.Length > 0 || attn.Has("causal"))
            attn.Require("causal", attn.Bool("causal", false), true, "language-model attention must be causal");
        attn.Require("rotary_emb_dim", attn.Int("rotary_emb_dim", 0), 0, "rotary embeddings are not implemented");
        attn.Require("d_conv", attn.Int("d_conv", 0), 0, "attention conv is not implemented");
        attn.Require("mlp_dim", attn.Int("mlp_dim", 0), 0, "the parallel MLP of MHA is not implemented");
        attn.Accept("rotary_emb_base", "rotary_emb_interleaved", "layer_idx");
        attn.Finish();
        var config = new ModelConfig
        {
            DModel = dModel, NLayer = k.Int("n_layer", 64), VocabSize = k.Int("vocab_size", 50277),
            PadVocabSizeMultiple = k.Int("pad_vocab_size_multiple", 8), TieEmbeddings = k.Bool("tie_embeddings", true),
            DIntermediate = k.Int("d_intermediate", 0), Ssm = ssmCfg, AttnLayerIdx = idx, Attention = attnCfg,
            NormEps = k.Double("norm_epsilon", 1e-5),
        };
        k.Finish();
        return Checked(config);
    }

    /// <summary>transformers <c>MambaConfig</c> (model_type mamba) or <c>Mamba2Config</c> (mamba2).</summary>
    public static ModelConfig ReadHuggingFace(JsonElement root, List<string> warnings)
    {
        var k = new ConfigKeys(root, "", warnings);
        k.Accept(Metadata);
        string type = k.String("model_type") ?? "mamba";
        bool m2 = type switch
        {
            "mamba" => false,
            "mamba2" => true,
            _ => throw new ModelConfigReadException($"model_type = {type} is not supported (mamba, mamba2)"),
        };
        int hidden = k.Int("hidden_size", m2 ? 4096 : 768), expand = k.Int("expand", 2);
        string act = k.String("hidden_act") ?? "silu";
        if (act is not ("silu" or "swish")) k.Require("hidden_act", act, "silu", "the conv activation is SiLU");
        k.Accept("residual_in_fp32", "time_step_scale", "time_step_min", "time_step_max", "time_step_init_scheme",
            "time_step_floor", "use_mambapy", "tie_word_embeddings");
        int? dtRank = k.Raw("time_step_rank") is { ValueKind: JsonValueKind.Number } r ? r.GetInt32() : null;
        if (k.IntOrNull("intermediate_size") is { } inter && inter != expand * hidden)
            throw new ModelConfigReadException(
                $"inconsistent config: intermediate_size {inter} != expand {expand} × hidden_size {hidden}");
        var limit = (0f, float.PositiveInfinity);
        int headDim = 64, groups = 1, chunk = 256;
        if (m2)
        {
            k.Require("rms_norm", k.Bool("rms_norm", true), true, "Mamba-2 without the gated norm");
            int heads = k.Int("num_heads", 128);
            headDim = k.Int("head_dim", 64);
            groups = k.Int("n_groups", 8);
            chunk = k.Int("chunk_size", 256);
            if (heads * headDim != expand * hidden)
                throw new ModelConfigReadException($"inconsistent config: num_heads {heads} × head_dim {headDim} = " +
                    $"{heads * headDim} != d_inner = expand {expand} × hidden_size {hidden} = {expand * hidden}");
            if (k.Raw("time_step_limit") is { ValueKind: JsonValueKind.Array } lim && lim.GetArrayLength() == 2)
                limit = ((float)LenientJson.Number(lim[0], "time_step_limit"),
                    (float)LenientJson.Number(lim[1], "time_step_limit"));
            if (groups > 1)
                warnings.Add($"n_groups = {groups}: the gated norm is grouped as in mamba_ssm (transformers " +
                    "normalises over all of d_inner)");
        }
        var config = new ModelConfig
        {
            DModel = hidden, NLayer = k.Int("num_hidden_layers", m2 ? 64 : 32), VocabSize = k.Int("vocab_size", 50280),
            PadVocabSizeMultiple = 1, TieEmbeddings = root.TryGetProperty("tie_word_embeddings", out var t)
                ? t.ValueKind == JsonValueKind.True : !m2,
            NormEps = k.Double("layer_norm_epsilon", 1e-5),
            Ssm = new SsmConfig
            {
                Layer = m2 ? LayerKind.Mamba2 : LayerKind.Mamba1, DState = k.Int("state_size", m2 ? 128 : 16),
                DConv = k.Int("conv_kernel", 4), Expand = expand, DtRank = dtRank, HeadDim = headDim,
                NGroups = groups, ChunkSize = chunk, ConvBias = k.Bool("use_conv_bias", true),
                Bias = k.Bool("use_bias", false), DtLimit = limit,
            },
        };
        k.Finish();
        return Checked(config);
    }

    private static ModelConfig Checked(ModelConfig c)
    {
        try { c.Validate(); }
        catch (ModelConfigException e)
        {
            throw new ModelConfigReadException("inconsistent config: " + string.Join("; ", e.Problems));
        }
        return c;
    }
}
