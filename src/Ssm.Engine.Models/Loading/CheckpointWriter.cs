using System.Text;
using System.Text.Json;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Loading;

/// <summary>Writes a model as a mamba_ssm native checkpoint directory: config.json and model.safetensors
/// (float32, <c>lm_head.weight</c> included even when tied, as upstream state dicts do). Each file is written
/// atomically.</summary>
public static class CheckpointWriter
{
    /// <summary>Saves <paramref name="model"/> into <paramref name="dir"/> (created if needed).</summary>
    public static void Save(this CausalLm model, string dir)
    {
        Directory.CreateDirectory(dir);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (path, value) in model.NamedParameters())
            tensors.Add(SafetensorsTensor.FromFloat32(path, value.Shape, Floats(value)));
        if (model.Config.TieEmbeddings)
            tensors.Add(
                SafetensorsTensor.FromFloat32("lm_head.weight", model.HeadWeight.Shape, Floats(model.HeadWeight)));
        SafetensorsWriter.Write(Path.Combine(dir, CheckpointFiles.Safetensors), tensors,
            new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), NativeConfigJson(model.Config));
    }

    /// <summary>The mamba_ssm <c>MambaConfig</c> JSON of <paramref name="c"/>.</summary>
    public static string NativeConfigJson(ModelConfig c)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("d_model", c.DModel);
            w.WriteNumber("d_intermediate", c.DIntermediate);
            w.WriteNumber("n_layer", c.NLayer);
            w.WriteNumber("vocab_size", c.VocabSize);
            w.WriteStartObject("ssm_cfg");
            var s = c.Ssm;
            w.WriteString("layer", s.Layer == LayerKind.Mamba2 ? "Mamba2" : "Mamba1");
            w.WriteNumber("d_state", s.StateSize);
            w.WriteNumber("d_conv", s.DConv);
            w.WriteNumber("expand", s.Expand);
            if (s.Layer == LayerKind.Mamba1 && s.DtRank is { } r) w.WriteNumber("dt_rank", r);
            if (s.Selectivity == SsmSelectivity.Lti) w.WriteString("selectivity", "lti");
            if (s.Layer == LayerKind.Mamba2)
            {
                w.WriteNumber("headdim", s.HeadDim);
                w.WriteNumber("ngroups", s.NGroups);
                w.WriteNumber("chunk_size", s.ChunkSize);
                if (s.DtLimit != (0f, float.PositiveInfinity))
                {
                    w.WriteStartArray("dt_limit");
                    Number(w, s.DtLimit.Min);
                    Number(w, s.DtLimit.Max);
                    w.WriteEndArray();
                }
            }
            w.WriteBoolean("conv_bias", s.ConvBias);
            w.WriteBoolean("bias", s.Bias);
            w.WriteEndObject();
            w.WriteStartArray("attn_layer_idx");
            foreach (int i in c.AttnLayerIdx) w.WriteNumberValue(i);
            w.WriteEndArray();
            w.WriteStartObject("attn_cfg");
            if (c.AttnLayerIdx.Length > 0)
            {
                var a = c.Attention;
                w.WriteNumber("num_heads", a.NumHeads);
                w.WriteNumber("num_heads_kv", a.NumHeadsKv ?? a.NumHeads);
                if (a.HeadDim is { } hd) w.WriteNumber("head_dim", hd);
                if (a.SoftmaxScale is { } sc) w.WriteNumber("softmax_scale", sc);
                w.WriteBoolean("causal", true);
                w.WriteNumber("rotary_emb_dim", 0);
                w.WriteBoolean("qkv_proj_bias", a.QkvProjBias);
                w.WriteBoolean("out_proj_bias", a.OutProjBias);
            }
            w.WriteEndObject();
            w.WriteBoolean("rms_norm", true);
            w.WriteBoolean("residual_in_fp32", true);
            w.WriteBoolean("fused_add_norm", true);
            w.WriteNumber("pad_vocab_size_multiple", c.PadVocabSizeMultiple);
            w.WriteBoolean("tie_embeddings", c.TieEmbeddings);
            if (c.NormEps != 1e-5) w.WriteNumber("norm_epsilon", c.NormEps);
            w.WriteEndObject();
        }
        // Python's json writes non-finite floats as bare tokens; mamba_ssm reads them back that way.
        return Encoding.UTF8.GetString(ms.ToArray()).Replace("\"-Infinity\"", "-Infinity")
            .Replace("\"Infinity\"", "Infinity").Replace("\"NaN\"", "NaN") + "\n";
    }

    private static void Number(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(float.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }

    private static float[] Floats(Tensor t) =>
        (t.DType == DType.Float32 ? t : t.To(DType.Float32)).Contiguous().ToArray();
}
