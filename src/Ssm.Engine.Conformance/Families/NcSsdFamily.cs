using Ssm.Engine.Devices;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>nc_ssd</c> (FORMAT.md 4.16): VSSD's non-causal SSD, y = C·KV + D·x with KV summed over all tokens
/// (heads interleaved over groups).</summary>
public sealed class NcSsdFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "nc_ssd";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = F.NcSsd(t["x"], t["dt"], t["A"], t["B"], t["C"], t.GetValueOrDefault("D"),
                golden.Int("ngroups", 1), golden.Flag("positive_dA")),
        });
}

/// <summary><c>vssd_mixer</c> (FORMAT.md 4.17): VSSD's Mamba2 mixer with linear-attention duality — in_proj,
/// depthwise 2-D conv + SiLU on xBC, nc_ssd, LayerNorm(y)·z (z not activated), out_proj, run through
/// <see cref="VssdMixer"/>.</summary>
public sealed class VssdMixerFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "vssd_mixer";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = VssdMixer.Forward(name => t[name], t["u"], golden.Int("H"), golden.Int("W"), golden.Int("headdim"),
                golden.Int("ngroups", 1), golden.Int("d_state"), golden.Flag("positive_dA")),
        });
}
