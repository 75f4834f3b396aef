using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Xunit;

namespace Ssm.Engine.Models.Tests.Loading;

public class ConfigReaderTests
{
    private const string Native = """
        {"d_model": 16, "n_layer": 2, "vocab_size": 30, "ssm_cfg": {"layer": "Mamba2", "headdim": 8, "d_state": 4},
         "attn_layer_idx": [1], "attn_cfg": {"num_heads": 2, "causal": true, "rotary_emb_dim": 0},
         "rms_norm": true, "tie_embeddings": false, "pad_vocab_size_multiple": 16 %EXTRA%}
        """;

    private static ModelConfig ReadNative(string extra, List<string>? warnings = null)
    {
        using var doc = LenientJson.Parse(Native.Replace("%EXTRA%", extra));
        return ConfigReader.ReadNative(doc.RootElement, warnings ?? []);
    }

    [Fact]
    public void NativeConfig_AppliesComputationKeys()
    {
        var c = ReadNative("");
        Assert.Equal(LayerKind.Mamba2, c.KindOf(0));
        Assert.Equal(LayerKind.Attention, c.KindOf(1));
        Assert.Equal(32, c.PaddedVocabSize);
        Assert.Equal(4, c.Ssm.StateSize);
        Assert.False(c.TieEmbeddings);
    }

    [Fact]
    public void MetadataKeys_AreAccepted_UnknownKeysWarned()
    {
        var warnings = new List<string>();
        ReadNative(", \"architectures\": [\"X\"], \"transformers_version\": \"4\", \"_name_or_path\": \"p\", " +
            "\"torch_dtype\": \"float32\", \"frobnicate\": 3", warnings);
        Assert.Equal(["unknown config key frobnicate ignored"], warnings);
    }

    [Theory]
    [InlineData("\"rotary_emb_dim\": 0", "\"rotary_emb_dim\": 32", "attn_cfg.rotary_emb_dim")]
    [InlineData("\"headdim\": 8", "\"headdim\": 8, \"d_ssm\": 16", "ssm_cfg.d_ssm")]
    [InlineData("\"headdim\": 8", "\"headdim\": 12", "headdim")]
    [InlineData("\"causal\": true", "\"causal\": false", "attn_cfg.causal")]
    [InlineData("\"Mamba2\"", "\"Mamba3\"", "ssm_cfg.layer")]
    [InlineData("\"rms_norm\": true", "\"rms_norm\": false", "rms_norm")]
    public void UnsupportedOrInconsistentValues_AreErrorsNamingTheKey(string from, string to, string key)
    {
        using var doc = LenientJson.Parse(Native.Replace("%EXTRA%", "").Replace(from, to));
        var ex = Assert.Throws<ModelConfigReadException>(() => ConfigReader.ReadNative(doc.RootElement, []));
        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void HfMamba2_HeadsTimesHeadDimMustEqualDInner()
    {
        using var doc = LenientJson.Parse("""
            {"model_type": "mamba2", "hidden_size": 64, "expand": 2, "num_heads": 8, "head_dim": 8,
             "n_groups": 1, "num_hidden_layers": 1, "vocab_size": 16, "time_step_limit": [0.0, Infinity]}
            """);
        var ex = Assert.Throws<ModelConfigReadException>(() => ConfigReader.ReadHuggingFace(doc.RootElement, []));
        Assert.Contains("num_heads 8 × head_dim 8", ex.Message);
    }

    [Fact]
    public void LenientJson_ReadsBareNonFiniteTokens_OutsideStringsOnly()
    {
        using var doc = LenientJson.Parse("""{"a": [NaN, -Infinity, Infinity], "s": "Infinity NaN"}""");
        var a = doc.RootElement.GetProperty("a");
        Assert.True(double.IsNaN(LenientJson.Number(a[0], "a")));
        Assert.Equal(double.NegativeInfinity, LenientJson.Number(a[1], "a"));
        Assert.Equal(double.PositiveInfinity, LenientJson.Number(a[2], "a"));
        Assert.Equal("Infinity NaN", doc.RootElement.GetProperty("s").GetString());
    }
}
