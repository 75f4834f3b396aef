using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>ss2d</c> (FORMAT.md 4.15): VMamba's SS2D on a channel-last image, forward types <c>v0</c> (z gate)
/// and <c>v05_noz</c>: in_proj → depthwise conv2d + SiLU → 4-direction cross-scan → per-direction x_proj / dt_proj
/// → selective scan with 4 groups (channel k·E + e uses direction k's B/C) → cross-merge → LayerNorm (· silu(z))
/// → out_proj.</summary>
public sealed class Ss2dFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "ss2d";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

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
            ["y"] = Forward(t, type == "v0"),
        });
    }

    /// <summary>SS2D on x (B, H, W, d) with parameters keyed by their state-dict names.</summary>
    internal static Tensor Forward(IReadOnlyDictionary<string, Tensor> p, bool gateZ)
    {
        var x = p["x"];                                                            // (B, H, W, d)
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], l = h * w;
        var aLogs = p["A_logs"];                                                   // (4E, N)
        int e = aLogs.Shape[0] / 4, n = aLogs.Shape[1];
        var dtW = p["dt_projs_weight"];                                            // (4, E, R)
        int r = dtW.Shape[2];
        var xz = F.Linear(x, p["in_proj.weight"]);                                 // (B, H, W, E | 2E)
        Tensor? z = null;
        if (gateZ)
        {
            var parts = F.Split(xz, [e, e], -1);
            xz = parts[0];
            z = F.Silu(parts[1]);
        }
        var img = xz.Permute(0, 3, 1, 2);                                          // (B, E, H, W)
        if (p.TryGetValue("conv2d.weight", out var convW))
            img = F.DepthwiseConv2d(img.Contiguous(), convW, p.GetValueOrDefault("conv2d.bias"),
                (convW.Shape[2] - 1) / 2);
        img = F.Silu(img);
        var xs = F.CrossScan(img);                                                 // (B, 4, E, L)
        var xd = F.MatMul(p["x_proj_weight"], xs);                                 // (B, 4, R+2N, L)
        var dbl = F.Split(xd, [r, n, n], 2);
        var dt = F.MatMul(dtW, dbl[0]);                                            // (B, 4, E, L)
        var ys = F.SelectiveScan(xs.Reshape(b, 4 * e, l), dt.Reshape(b, 4 * e, l), F.Neg(F.Exp(aLogs)),
            dbl[1].Contiguous(), dbl[2].Contiguous(), p["Ds"], null, p["dt_projs_bias"].Reshape(4 * e),
            deltaSoftplus: true).Y;                                                // (B, 4E, L)
        var y = F.CrossMerge(ys.Reshape(b, 4, e, l), h, w);                        // (B, E, L)
        y = F.LayerNorm(y.Permute(0, 2, 1), p["out_norm.weight"], p["out_norm.bias"], 1e-5)
            .Reshape(b, h, w, e);                                                  // (B, H, W, E)
        if (z is not null) y = F.Mul(y, z);
        return F.Linear(y, p["out_proj.weight"]);                                  // (B, H, W, d)
    }
}
