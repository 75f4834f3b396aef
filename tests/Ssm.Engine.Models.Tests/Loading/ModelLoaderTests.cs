using System.Text.Json;
using Ssm.Engine.Autograd;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Tests.Lm;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Models.Tests.Loading;

public class ModelLoaderTests
{
    private static Tensor Logits(CausalLm model, Tensor ids)
    {
        using var _ = Tape.NoGrad();
        return model.Forward(ids);
    }

    private static (Tensor Ids, Tensor Logits) Golden(string model)
    {
        using var g = SafetensorsFile.Open(Path.Combine(CheckpointDirs.Models, model, "golden.safetensors"));
        var ids = g.GetEntry("in.input_ids");
        var logits = g.GetEntry("out.logits");
        return (Tensor.FromArray(g.ReadInt64("in.input_ids"), ids.Shape),
            Tensor.FromArray(g.ReadFloat32("out.logits"), logits.Shape));
    }

    [Theory]
    [MemberData(nameof(CheckpointDirs.All), MemberType = typeof(CheckpointDirs))]
    public void GoldenCheckpoint_LoadsAndMatchesGoldenLogits(string model, string format)
    {
        string dir = CheckpointDirs.Format(model, format);
        var loaded = ModelLoader.Load(dir, new LoadOptions(KeepBFloat16: true));
        Assert.Equal(format == "native" ? CheckpointFormat.Native : CheckpointFormat.HuggingFace, loaded.Format);
        var (ids, want) = Golden(model);
        double atol = 1e-4, rtol = 1e-3;
        string tolPath = Path.Combine(dir, "tolerance.json");
        if (File.Exists(tolPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(tolPath));
            var o = doc.RootElement.GetProperty("tolerance").GetProperty("out");
            (atol, rtol) = (o.GetProperty("atol").GetDouble(), o.GetProperty("rtol").GetDouble());
        }
        TensorAssert.Close(want, Logits(loaded.Model, ids), atol, rtol, $"{model}@{format} logits");
    }

    [Fact]
    public void HfTiedCheckpoint_HasNoLmHead_AndReusesTheEmbedding()
    {
        string dir = CheckpointDirs.Format("mamba1_l2_v256_tied", "hf");
        using (var f = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors")))
        {
            Assert.False(f.Contains("lm_head.weight"));
            Assert.True(f.Contains("backbone.embeddings.weight"));
        }
        var model = ModelLoader.Load(dir).Model;
        Assert.Same(model.Backbone.Embedding.Weight, model.HeadWeight);
    }

    [Fact]
    public void Bf16Weights_StayBFloat16_OnlyWhenAsked()
    {
        string dir = CheckpointDirs.Format("mamba1_l2_v1000_untied", "hf_bf16");
        var kept = ModelLoader.Load(dir, new LoadOptions(KeepBFloat16: true)).Model;
        var wide = ModelLoader.Load(dir).Model;
        Assert.Equal(DType.BFloat16, kept.GetParameter("backbone.layers.0.mixer.in_proj.weight").DType);
        Assert.Equal(DType.Float32, kept.GetParameter("backbone.layers.0.mixer.A_log").DType);
        Assert.Equal(DType.Float32, wide.GetParameter("backbone.layers.0.mixer.in_proj.weight").DType);
        var ids = Golden("mamba1_l2_v1000_untied").Ids;
        TensorAssert.Close(Logits(wide, ids), Logits(kept, ids), 1e-5, 1e-5, "bf16 kept vs widened");
    }

    [Fact]
    public void ShardedCheckpoint_EqualsTheSingleFile()
    {
        var single = ModelLoader.Load(CheckpointDirs.Format("mamba2_l2_v256", "hf_bf16")).Model;
        var sharded = ModelLoader.Load(CheckpointDirs.Format("mamba2_l2_v256", "hf_bf16_sharded")).Model;
        foreach (var (path, value) in single.NamedParameters())
            TensorAssert.Equal(value, sharded.GetParameter(path), path);
    }

    [Fact]
    public void Mamba2HfConfig_ParsesBareInfinity()
    {
        var model = ModelLoader.Load(CheckpointDirs.Format("mamba2_l2_v256", "hf")).Model;
        Assert.Equal(LayerKind.Mamba2, model.Config.Ssm.Layer);
        Assert.Equal((0f, float.PositiveInfinity), model.Config.Ssm.DtLimit);
        Assert.Equal(16, model.Config.Ssm.ChunkSize);
    }

    [Fact]
    public void NativeCheckpoint_AcceptsTheEmbeddingsSpelling()
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 1);
        using var dir = CheckpointDirs.Saved(model);
        CheckpointDirs.EditWeights(dir.Path, t =>
        {
            t["backbone.embeddings.weight"] = t["backbone.embedding.weight"];
            t.Remove("backbone.embedding.weight");
        });
        var ids = Tensor.FromArray(new long[] { 1, 2, 3 }, 1, 3);
        TensorAssert.Equal(Logits(model, ids), Logits(ModelLoader.Load(dir.Path).Model, ids), "logits");
    }

    [Fact]
    public void TorchBinOnly_LoadsOrNamesTheMissingReader()
    {
        using var dir = new TempDir();
        string src = CheckpointDirs.Format("mamba1_l2_v256_tied", "native");
        File.Copy(Path.Combine(src, "config.json"), dir.File("config.json"));
        File.Copy(Path.Combine(src, "pytorch_model.bin"), dir.File("pytorch_model.bin"));
        try
        {
            var (ids, want) = Golden("mamba1_l2_v256_tied");
            TensorAssert.Close(want, Logits(ModelLoader.Load(dir.Path).Model, ids), 1e-4, 1e-3, "logits");
        }
        catch (NotSupportedException e)
        {
            Assert.Contains("pytorch_model.bin", e.Message);
        }
    }

    [Fact]
    public void MissingUnexpectedAndMisshapedTensors_AreAllListed()
    {
        using var dir = CheckpointDirs.Saved(new CausalLm(TinyModels.Mamba1));
        CheckpointDirs.EditWeights(dir.Path, t =>
        {
            t.Remove("backbone.layers.1.mixer.D");
            t["backbone.layers.0.mixer.extra"] = ([2], [1f, 2f]);
            t["backbone.norm_f.weight"] = ([15], new float[15]);
        });
        var ex = Assert.Throws<CheckpointException>(() => ModelLoader.Load(dir.Path));
        Assert.Equal(["backbone.layers.1.mixer.D"], ex.Missing);
        Assert.Equal(["backbone.layers.0.mixer.extra"], ex.Unexpected);
        Assert.Equal(["backbone.norm_f.weight: expected [16], found [15]"], ex.ShapeMismatches);
    }

    [Fact]
    public void UntiedCheckpoint_WithoutLmHead_ReportsItMissing()
    {
        using var dir = CheckpointDirs.Saved(new CausalLm(TinyModels.Mamba1));
        CheckpointDirs.EditWeights(dir.Path, t => t.Remove("lm_head.weight"));
        var ex = Assert.Throws<CheckpointException>(() => ModelLoader.Load(dir.Path));
        Assert.Equal(["lm_head.weight"], ex.Missing);
    }

    [Fact]
    public void NoWeightFile_IsAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), CheckpointWriter.NativeConfigJson(TinyModels.Mamba1));
        var ex = Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void Float16Checkpoint_IsWidenedToFloat32()
    {
        var model = new CausalLm(TinyModels.Mamba2, seed: 2);
        using var dir = CheckpointDirs.Saved(model);
        string path = dir.File(CheckpointFiles.Safetensors);
        var tensors = new List<SafetensorsTensor>();
        using (var f = SafetensorsFile.Open(path))
            foreach (var e in f.Entries)
                tensors.Add(SafetensorsTensor.FromValues(e.Name, DType.Float16, e.Shape,
                    f.ReadFloat32(e.Name).Select(v => (Half)v).ToArray().AsSpan()));
        SafetensorsWriter.Write(path, tensors);
        var loaded = ModelLoader.Load(dir.Path).Model;
        Assert.Equal(DType.Float32, loaded.GetParameter("backbone.layers.0.mixer.in_proj.weight").DType);
        var ids = Tensor.FromArray(new long[] { 1, 5, 9 }, 1, 3);
        TensorAssert.Close(Logits(model, ids), Logits(loaded, ids), 1e-2, 1e-2, "f16 logits");
    }

    [Fact]
    public void ShardIndex_NamingAMissingShard_IsAClearError()
    {
        using var dir = new TempDir();
        string src = CheckpointDirs.Format("mamba2_l2_v256", "hf_bf16_sharded");
        File.Copy(Path.Combine(src, "config.json"), dir.File("config.json"));
        File.Copy(Path.Combine(src, CheckpointFiles.ShardIndex), dir.File(CheckpointFiles.ShardIndex));
        File.Copy(Path.Combine(src, "model-00001-of-00002.safetensors"), dir.File("model-00001-of-00002.safetensors"));
        var ex = Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [Fact]
    public void UnknownConfigKeys_AreReturnedAsWarnings()
    {
        var model = new CausalLm(TinyModels.Mamba1);
        using var dir = CheckpointDirs.Saved(model);
        string cfg = File.ReadAllText(dir.File("config.json"));
        File.WriteAllText(dir.File("config.json"), cfg.Replace("\"d_model\"", "\"mystery_knob\": 1, \"d_model\""));
        Assert.Equal(["unknown config key mystery_knob ignored"], ModelLoader.Load(dir.Path).Warnings);
    }
}
