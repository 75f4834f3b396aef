using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Tests.Conv1d;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>The conv and norm conformance families route ILGPU devices to the Gpu kernels: one golden case per
/// family with every option it has (gradients included) passes on both CPU accelerators, and an absent device is
/// reported as unsupported rather than run on the CPU.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class ConvNormFamilyGpuTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string device in new[] { "ilgpu-cpu", "ilgpu-cpu-warp32" })
            {
                data.Add("causal_conv1d/w4_bias_silu_L64.safetensors", device);
                data.Add("causal_conv1d_update/w4_circular_state6_L2.safetensors", device);
                data.Add("rmsnorm/d64_residual.safetensors", device);
                data.Add("rmsnorm_gated/d64_nbg_false_g16.safetensors", device);
            }
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Family_MatchesGolden_OnIlgpuCpuDevices(string familyAndFile, string device)
    {
        string[] parts = familyAndFile.Split('/');
        var spec = DeviceSpec.Parse(device);
        IOpFamily family = Family(parts[0]);
        Assert.True(family.Supports(spec));
        GoldenFamilyCheck.Run(family, parts[1], spec);
    }

    [Fact]
    public void Families_DoNotSupport_AnAbsentDevice()
    {
        var cuda = DeviceSpec.Parse("cuda:7");
        Assert.False(cuda.IsAvailable(out _));
        foreach (string name in new[] { "causal_conv1d", "causal_conv1d_update", "rmsnorm", "rmsnorm_gated" })
        {
            Assert.False(Family(name).Supports(cuda));
            Assert.True(Family(name).Supports(DeviceSpec.Cpu));
        }
    }

    private static IOpFamily Family(string name) => name switch
    {
        "causal_conv1d" => new CausalConv1dFamily(),
        "causal_conv1d_update" => new CausalConv1dUpdateFamily(),
        "rmsnorm" => new RmsNormFamily(),
        "rmsnorm_gated" => new RmsNormGatedFamily(),
        _ => throw new ArgumentException(name),
    };
}
