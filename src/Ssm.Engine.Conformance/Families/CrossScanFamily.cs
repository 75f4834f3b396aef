using Ssm.Engine.Devices;
using Ssm.Engine.Ops;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>cross_scan</c> (FORMAT.md 4.13): VMamba's 4-direction scan of an image into sequences, channel-first
/// or channel-last on either side; the gradient is the cross-merge of the cotangent.</summary>
public sealed class CrossScanFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "cross_scan";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensors.Tensor>
        {
            ["y"] = F.CrossScan(t["x"], golden.Flag("in_channel_first"), golden.Flag("out_channel_first")),
        });
}

/// <summary><c>cross_merge</c> (FORMAT.md 4.14): the adjoint of cross_scan, summing the four directions back onto
/// the grid (flags as upstream: "in" = image side, "out" = scan side).</summary>
public sealed class CrossMergeFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "cross_merge";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensors.Tensor>
        {
            ["y"] = F.CrossMerge(t["y"], golden.Int("H"), golden.Int("W"), golden.Flag("in_channel_first"),
                golden.Flag("out_channel_first")),
        });
}
