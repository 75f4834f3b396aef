using System.Text.Json;
using Ssm.Engine.Models.Loading;

namespace Ssm.Engine.Models.Vision;

/// <summary>The <c>VisionMamba(**config)</c> keyword arguments of hustvl/Vim (<c>vim/models_mamba.py</c>) that this
/// engine implements: RMSNorm, bimamba v2, a middle class token and a learned absolute position embedding.
/// </summary>
public sealed record VimConfig(int ImgSize, int PatchSize, int Stride, int Depth, int EmbedDim, int DState,
    int Channels, int NumClasses, int DConv, int Expand, int DtRank, double NormEpsilon, bool DivideOut)
{
    /// <summary>Patches per side: (S − p) / stride + 1.</summary>
    public int GridSize => (ImgSize - PatchSize) / Stride + 1;

    /// <summary>Number of patch tokens M = g².</summary>
    public int NumPatches => GridSize * GridSize;

    /// <summary>Index of the middle class token, M / 2.</summary>
    public int ClassTokenPosition => NumPatches / 2;

    /// <summary>Reads <paramref name="path"/> (a Vim <c>config.json</c>).</summary>
    public static VimConfig ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"[vim_config] {path} does not exist", path);
        using var doc = LenientJson.Parse(File.ReadAllText(path));
        return FromJson(doc.RootElement, path);
    }

    /// <summary>Parses a config object; unsupported options (other bimamba types, LayerNorm, RoPE, no class token,
    /// a class token at the ends, no absolute position embedding) are rejected with a message naming them.</summary>
    public static VimConfig FromJson(JsonElement root, string source = "config")
    {
        Require(root, source, "bimamba_type", "v2", e => e.ValueKind == JsonValueKind.String ? e.GetString() : null);
        foreach (var (key, expected) in new[]
        {
            ("rms_norm", true), ("if_cls_token", true), ("use_middle_cls_token", true), ("if_abs_pos_embed", true),
            ("if_rope", false), ("if_rope_residual", false), ("use_double_cls_token", false),
        })
            Require(root, source, key, expected, e => e.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? e.GetBoolean() : (bool?)null);
        var ssm = root.TryGetProperty("ssm_cfg", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        int embed = Int(root, source, "embed_dim", 192);
        int patch = Int(root, source, "patch_size", 16);
        int dtRank = ssm.ValueKind == JsonValueKind.Object && ssm.TryGetProperty("dt_rank", out var r)
            && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : (embed + 15) / 16;
        var cfg = new VimConfig(
            ImgSize: Int(root, source, "img_size", 224), PatchSize: patch, Stride: Int(root, source, "stride", patch),
            Depth: Int(root, source, "depth", 24), EmbedDim: embed, DState: Int(root, source, "d_state", 16),
            Channels: Int(root, source, "channels", 3), NumClasses: Int(root, source, "num_classes", 1000),
            DConv: ssm.ValueKind == JsonValueKind.Object ? Int(ssm, source, "d_conv", 4) : 4,
            Expand: ssm.ValueKind == JsonValueKind.Object ? Int(ssm, source, "expand", 2) : 2,
            DtRank: dtRank,
            NormEpsilon: root.TryGetProperty("norm_epsilon", out var eps) ? eps.GetDouble() : 1e-5,
            DivideOut: !root.TryGetProperty("if_divide_out", out var div) || div.GetBoolean());
        if (cfg.ImgSize < cfg.PatchSize || cfg.Stride <= 0 || cfg.Depth < 0 || cfg.EmbedDim <= 0)
            throw new InvalidDataException($"[vim_config] {source}: img_size {cfg.ImgSize}, patch_size " +
                $"{cfg.PatchSize}, stride {cfg.Stride}, depth {cfg.Depth}, embed_dim {cfg.EmbedDim} are inconsistent");
        return cfg;
    }

    private static int Int(JsonElement o, string source, string key, int fallback)
    {
        if (!o.TryGetProperty(key, out var e)) return fallback;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v))
            throw new InvalidDataException($"[vim_config] {source}: {key} must be an integer, found {e}");
        return v;
    }

    private static void Require<T>(JsonElement root, string source, string key, T expected,
        Func<JsonElement, T?> read)
    {
        if (!root.TryGetProperty(key, out var e)) return;
        var v = read(e);
        if (!EqualityComparer<T>.Default.Equals(v, expected))
            throw new NotSupportedException($"[vim_config] {source}: {key} = {e} is not supported (only {expected})");
    }
}
