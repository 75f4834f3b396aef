using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Tests.Lm;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Models.Tests.Loading;

public class SaveLoadTests
{
    [Theory]
    [MemberData(nameof(TinyModels.All), MemberType = typeof(TinyModels))]
    public void SavedModel_LoadsBackToIdenticalLogits(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 9);
        using var dir = CheckpointDirs.Saved(model);
        var loaded = ModelLoader.Load(dir.Path);
        Assert.Equal(CheckpointFormat.Native, loaded.Format);
        Assert.Empty(loaded.Warnings);
        var ids = Tensor.FromArray(new long[] { 3, 1, 4, 1, 5, 9, 2, 6 }, 2, 4);
        using var _ = Tape.NoGrad();
        TensorAssert.Equal(model.Forward(ids), loaded.Model.Forward(ids), "logits");
    }

    [Fact]
    public void HfBf16Checkpoint_SavedNatively_LoadsBackToIdenticalLogits()
    {
        var hf = ModelLoader.Load(CheckpointDirs.Format("mamba2_l2_v256", "hf_bf16"), new LoadOptions(true)).Model;
        using var dir = CheckpointDirs.Saved(hf);
        var back = ModelLoader.Load(dir.Path).Model;
        var ids = Tensor.FromArray(new long[] { 5, 7, 11, 13 }, 1, 4);
        using var _ = Tape.NoGrad();
        TensorAssert.Close(hf.Forward(ids), back.Forward(ids), 1e-6, 1e-6, "logits");
    }

    [Fact]
    public void NonDefaultDtLimit_RoundTripsThroughPythonStyleJson()
    {
        var config = TinyModels.Mamba2 with
        {
            Ssm = TinyModels.Mamba2.Ssm with { DtLimit = (0.001f, float.PositiveInfinity) },
        };
        string json = CheckpointWriter.NativeConfigJson(config);
        Assert.Contains("Infinity", json);
        Assert.DoesNotContain("\"Infinity\"", json);
        using var dir = CheckpointDirs.Saved(new CausalLm(config));
        Assert.Equal(config.Ssm.DtLimit, ModelLoader.Load(dir.Path).Model.Config.Ssm.DtLimit);
    }
}
