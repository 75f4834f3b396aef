using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Norm;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>rmsnorm_gated</c> (FORMAT.md 4.10): Mamba-2's RMSNormGated with optional z, norm_before_gate both ways
/// and contiguous channel groups, on the Cpu kernel or, on an ILGPU device, the Gpu kernel.</summary>
public sealed class RmsNormGatedFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "rmsnorm_gated";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        var o = new RmsNormOptions(golden.Double("eps", 1e-5), NormBeforeGate: golden.Flag("norm_before_gate"));
        return RmsNormFamily.RunNorm(golden, device, null, "in.z", o, golden.Int("group_size", 0));
    }
}
