using Ssm.Engine.Devices;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>gated_cnn_block</c> (FORMAT.md 4.18): MambaOut's GatedCNNBlock, channel-last, composed from engine
/// ops (LayerNorm → fc1 → split (g, i, c) → depthwise conv on c → gelu(g)·cat(i, c) → fc2 → + shortcut), run
/// through <see cref="GatedCnnBlock"/>.
/// </summary>
public sealed class GatedCnnBlockFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "gated_cnn_block";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = GatedCnnBlock.Forward(name => t[name], t["x"], golden.Double("eps", 1e-6)),
        });
}
