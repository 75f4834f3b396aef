using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>MambaOut's <c>GatedCNNBlock</c> (yuweihao/MambaOut) on channel-last x (B, H, W, C): LayerNorm → fc1
/// (C → 2·hidden) → split (g, i, c) → depthwise k×k conv on c → fc2(gelu(g)·cat(i, c)) → + shortcut.
/// hidden = ⌊expansion·C⌋, conv channels = ⌊conv_ratio·C⌋. Parameters: <c>norm.*</c>, <c>fc1.*</c>,
/// <c>conv.*</c>, <c>fc2.*</c>.</summary>
public sealed class GatedCnnBlock : Module
{
    /// <summary>A block of width <paramref name="dim"/> (upstream expansion 8/3, kernel 7, conv ratio 1,
    /// eps 1e-6).</summary>
    public GatedCnnBlock(int dim, Init init, double expansionRatio = 8.0 / 3, int kernelSize = 7,
        double convRatio = 1.0, double eps = 1e-6)
    {
        int hidden = (int)(expansionRatio * dim), cc = (int)(convRatio * dim);
        if (cc > hidden || kernelSize % 2 == 0)
            throw new ArgumentException($"[gated_cnn_block] conv channels {cc} > hidden {hidden} or even kernel");
        Eps = eps;
        Norm = RegisterModule("norm", new LayerNorm(dim, eps));
        RegisterModule("fc1", new Linear(dim, 2 * hidden, true, init));
        RegisterParameter("conv.weight", init.FanIn(kernelSize * kernelSize, cc, 1, kernelSize, kernelSize));
        RegisterParameter("conv.bias", init.FanIn(kernelSize * kernelSize, cc));
        RegisterModule("fc2", new Linear(hidden, dim, true, init));
    }

    /// <summary>LayerNorm epsilon.</summary>
    public double Eps { get; }

    /// <summary>The pre-norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>x: (B, H, W, C) → (B, H, W, C).</summary>
    public Tensor Forward(Tensor x) => Forward(GetParameter, x, Eps);

    /// <summary>The block on x (B, H, W, d) with parameters looked up by their state-dict names.</summary>
    public static Tensor Forward(Func<string, Tensor> p, Tensor x, double eps)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"[gated_cnn_block] x {ShapeUtil.Format(x.Shape)} must be (B, H, W, C)");
        var convW = p("conv.weight");                                              // (cc, 1, k, k)
        int cc = convW.Shape[0], k = convW.Shape[2], hidden = p("fc2.weight").Shape[1];
        var h = F.LayerNorm(x, p("norm.weight"), p("norm.bias"), eps);
        var parts = F.Split(F.Linear(h, p("fc1.weight"), p("fc1.bias")), [hidden, hidden - cc, cc], -1);
        var c = F.DepthwiseConv2d(parts[2].Permute(0, 3, 1, 2), convW, p("conv.bias"), k / 2)
            .Permute(0, 2, 3, 1);                                                  // (B, H, W, cc)
        var mixed = F.Mul(F.Gelu(parts[0]), F.Concat([parts[1], c], -1));          // (B, H, W, hidden)
        return F.Add(F.Linear(mixed, p("fc2.weight"), p("fc2.bias")), x);
    }
}
