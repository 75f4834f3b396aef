using Ssm.Engine.Conformance.Models;
using Ssm.Engine.Devices;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Conformance.Tests.Models;

public class ModelConformanceTests
{
    private static string ModelDir(string name) => Path.Combine(GoldenPaths.Root, "models", name);

    [Fact]
    public void Fp32Format_ChecksLogitsStatesHiddenStepLogitsAndTokens()
    {
        string dir = ModelDir("hybrid_m2_gqa_mlp_l3_v256");
        var outcome = new ModelConformance().Run(dir, "native", Path.Combine(dir, "golden.safetensors"),
            DeviceSpec.Cpu);
        Assert.Equal(CaseStatus.Pass, outcome.Status);
        var names = outcome.Tensors.Select(t => t.Name).ToHashSet();
        foreach (var n in new[]
                 {
                     "out.logits", "out.step_logits", "out.gen_tokens", "out.state.layers.0.conv",
                     "out.state.layers.0.ssm", "out.state.layers.2.k", "out.state.layers.2.v", "out.hidden.embed",
                     "out.hidden.block.2", "out.hidden.final_norm",
                 })
            Assert.Contains(n, names);
    }

    [Fact]
    public void Bf16Format_ComparesOnlyTheToleranceJsonTensors()
    {
        string dir = ModelDir("mamba1_l2_v256_tied");
        var outcome = new ModelConformance().Run(dir, "hf_bf16_sharded", Path.Combine(dir, "golden.safetensors"),
            DeviceSpec.Cpu);
        Assert.Equal(CaseStatus.Pass, outcome.Status);
        Assert.Equal(["out.logits", "out.step_logits"], outcome.Tensors.Select(t => t.Name).Order().ToArray());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Bf16Format_OnIlgpuCpu_PassesWithEveryOpOnTheDevice()
    {
        string dir = ModelDir("mamba1_l2_v256_tied");
        var model = new ModelConformance();
        Assert.True(model.Supports(DeviceSpec.IlgpuCpu));
        var outcome = model.Run(dir, "hf_bf16", Path.Combine(dir, "golden.safetensors"), DeviceSpec.IlgpuCpu);
        Assert.Equal(CaseStatus.Pass, outcome.Status);
        Assert.Equal(["out.logits", "out.step_logits"], outcome.Tensors.Select(t => t.Name).Order().ToArray());
    }

    [Fact]
    public void Supports_UnavailableGpu_IsFalse() => Assert.False(new ModelConformance().Supports(DeviceSpec.Cuda(7)));

    [Fact]
    public void WrongWeights_Fail()
    {
        string golden = Path.Combine(ModelDir("mamba2_l2_v256"), "golden.safetensors");
        var tmp = Directory.CreateTempSubdirectory("ssm-conf-").FullName;
        try
        {
            var real = ModelLoader.Load(Path.Combine(ModelDir("mamba2_l2_v256"), "native")).Model;
            new CausalLm(real.Config, seed: 123).Save(Path.Combine(tmp, "native"));
            var outcome = new ModelConformance().Run(tmp, "native", golden, DeviceSpec.Cpu);
            Assert.Equal(CaseStatus.Fail, outcome.Status);
            Assert.False(outcome.Worst!.Passed);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [Fact]
    public void UnreadableCheckpoint_IsAnErrorNamingTheProblem()
    {
        string golden = Path.Combine(ModelDir("mamba2_l2_v256"), "golden.safetensors");
        var tmp = Directory.CreateTempSubdirectory("ssm-conf-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(tmp, "native"));
            File.WriteAllText(Path.Combine(tmp, "native", "config.json"), "{\"d_model\": 64, \"rms_norm\": false}");
            var outcome = new ModelConformance().Run(tmp, "native", golden, DeviceSpec.Cpu);
            Assert.Equal(CaseStatus.Fail, outcome.Status);
            Assert.Contains("rms_norm", outcome.Message);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
