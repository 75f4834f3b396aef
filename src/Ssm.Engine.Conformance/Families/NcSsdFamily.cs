using Ssm.Engine.Devices;
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
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = F.NcSsd(t["x"], t["dt"], t["A"], t["B"], t["C"], t.GetValueOrDefault("D"),
                golden.Int("ngroups", 1), golden.Flag("positive_dA")),
        });
}

/// <summary><c>vssd_mixer</c> (FORMAT.md 4.17): VSSD's Mamba2 mixer with linear-attention duality — in_proj,
/// depthwise 2-D conv + SiLU on xBC, nc_ssd, LayerNorm(y)·z (z not activated), out_proj.</summary>
public sealed class VssdMixerFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "vssd_mixer";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t => new Dictionary<string, Tensor>
        {
            ["y"] = Forward(t, golden.Int("H"), golden.Int("W"), golden.Int("headdim"), golden.Int("ngroups", 1),
                golden.Int("d_state"), golden.Flag("positive_dA")),
        });

    /// <summary>The mixer on u (B, H·W, d) with parameters keyed by their state-dict names.</summary>
    internal static Tensor Forward(IReadOnlyDictionary<string, Tensor> p, int height, int width, int headDim,
        int groups, int dState, bool positiveDA)
    {
        var u = p["u"];                                                            // (B, L, d)
        int b = u.Shape[0], l = u.Shape[1], nh = p["A_log"].Shape[0], e = nh * headDim, gn = groups * dState;
        var convW = p["conv2d.weight"];                                            // (E+2GN, 1, k, k)
        var parts = F.Split(F.Linear(u, p["in_proj.weight"]), [e, e + 2 * gn, nh], -1);
        var dt = F.Softplus(F.Add(parts[2], p["dt_bias"]));                        // (B, L, nh)
        var xbcImg = parts[1].Permute(0, 2, 1).Reshape(b, e + 2 * gn, height, width);
        var xbc = F.Silu(F.DepthwiseConv2d(xbcImg, convW, p["conv2d.bias"], (convW.Shape[2] - 1) / 2))
            .Reshape(b, e + 2 * gn, l).Permute(0, 2, 1);                           // (B, L, E+2GN)
        var xs = F.Split(xbc, [e, gn, gn], -1);
        var y = F.NcSsd(xs[0].Reshape(b, l, nh, headDim), dt, F.Neg(F.Exp(p["A_log"])), xs[1], xs[2], p["D"],
            groups, positiveDA).Reshape(b, l, e);
        y = F.Mul(F.LayerNorm(y, p["norm.weight"], p["norm.bias"], 1e-5), parts[0]);
        return F.Linear(y, p["out_proj.weight"]);
    }
}
