using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>gated_cnn_block</c> (FORMAT.md 4.18): MambaOut's GatedCNNBlock, channel-last, composed from engine
/// ops (LayerNorm → fc1 → split (g, i, c) → depthwise conv on c → gelu(g)·cat(i, c) → fc2 → + shortcut).
/// </summary>
public sealed class GatedCnnBlockFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "gated_cnn_block";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = Forward(t, golden.Double("eps", 1e-6)),
        });

    /// <summary>The block on x (B, H, W, d) with parameters keyed by their state-dict names.</summary>
    internal static Tensor Forward(IReadOnlyDictionary<string, Tensor> p, double eps)
    {
        var x = p["x"];                                                            // (B, H, W, d)
        var convW = p["conv.weight"];                                              // (cc, 1, k, k)
        int cc = convW.Shape[0], k = convW.Shape[2], hidden = p["fc2.weight"].Shape[1];
        var h = F.LayerNorm(x, p["norm.weight"], p["norm.bias"], eps);
        var parts = F.Split(F.Linear(h, p["fc1.weight"], p["fc1.bias"]), [hidden, hidden - cc, cc], -1);
        var c = F.DepthwiseConv2d(parts[2].Permute(0, 3, 1, 2), convW, p["conv.bias"], k / 2)
            .Permute(0, 2, 3, 1);                                                  // (B, H, W, cc)
        var mixed = F.Mul(F.Gelu(parts[0]), F.Concat([parts[1], c], -1));          // (B, H, W, hidden)
        return F.Add(F.Linear(mixed, p["fc2.weight"], p["fc2.bias"]), x);
    }
}
