using Ssm.Engine.Devices;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>ss2d</c> (FORMAT.md 4.15): VMamba's SS2D on a channel-last image, forward types <c>v0</c> (z gate)
/// and <c>v05_noz</c>: in_proj → depthwise conv2d + SiLU → 4-direction cross-scan → per-direction x_proj / dt_proj
/// → selective scan with 4 groups (channel k·E + e uses direction k's B/C) → cross-merge → LayerNorm (· silu(z))
/// → out_proj, run through <see cref="Ss2d.Forward(Func{string, Tensor?}, Tensor, Ss2dForwardType)"/>.</summary>
public sealed class Ss2dFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "ss2d";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        string type = golden.String("forward_type") ?? "v05_noz";
        if (type is not ("v0" or "v05_noz"))
            throw new NotSupportedException($"[ss2d] forward_type {type} is not supported (v0, v05_noz)");
        if (golden.Flag("channel_first"))
            throw new NotSupportedException("[ss2d] channel_first input is not supported");
        return AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = Ss2d.Forward(t.GetValueOrDefault, t["x"],
                type == "v0" ? Ss2dForwardType.V0 : Ss2dForwardType.V05NoZ),
        });
    }
}
