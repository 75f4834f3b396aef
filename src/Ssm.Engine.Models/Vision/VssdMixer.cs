using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>VSSD's Mamba2 mixer with linear-attention duality (YuHengsss/VSSD <c>Mamba2</c>,
/// <c>linear_attn_duality=True</c>) on tokens u (B, H·W, d): z, xBC, dt = split(in_proj(u), [E, E+2GN, nh]),
/// dt = softplus(dt + dt_bias), xBC = SiLU(depthwise conv2d over the H×W grid), non-causal SSD
/// (<see cref="F.NcSsd"/>), y = LayerNorm(y)·z (z not activated), out_proj. Parameter names as upstream:
/// <c>in_proj.weight</c>, <c>conv2d.*</c>, <c>dt_bias</c>, <c>A_log</c>, <c>D</c>, <c>norm.*</c>,
/// <c>out_proj.weight</c>.</summary>
public sealed class VssdMixer : Module
{
    /// <summary>A mixer of width d, E = expand·d split into E / headDim heads, <paramref name="groups"/> B/C
    /// groups of state N and a k×k conv; <paramref name="positiveDA"/> as every released config (a = Δ·exp(A_log)).
    /// </summary>
    public VssdMixer(int dModel, int dState, int expand, int headDim, int groups, int dConv, bool positiveDA,
        Init init)
    {
        int e = expand * dModel;
        if (headDim < 1 || e % headDim != 0 || groups < 1 || (e / headDim) % groups != 0 || dConv % 2 == 0)
            throw new ArgumentException($"[vssd_mixer] E {e}, headdim {headDim}, ngroups {groups}, d_conv {dConv} " +
                "are inconsistent (headdim | E, ngroups | heads, odd conv)");
        int nh = e / headDim, conv = e + 2 * groups * dState;
        (HeadDim, Groups, DState, PositiveDA) = (headDim, groups, dState, positiveDA);
        RegisterParameter("in_proj.weight", init.FanIn(dModel, 2 * e + 2 * groups * dState + nh, dModel));
        RegisterParameter("conv2d.weight", init.FanIn(dConv * dConv, conv, 1, dConv, dConv));
        RegisterParameter("conv2d.bias", init.FanIn(dConv * dConv, conv));
        RegisterParameter("dt_bias", VisionInit.DtBias(init, nh));
        var aLog = new float[nh];
        var u = init.Uniform(1, 16, nh).ToArray();                                 // upstream A_init_range (1, 16)
        for (int i = 0; i < nh; i++) aLog[i] = MathF.Log(u[i]);
        RegisterParameter("A_log", Tensor.FromArray(aLog, nh));
        RegisterParameter("D", Tensor.Ones(nh));
        RegisterParameter("norm.weight", Tensor.Ones(e));
        RegisterParameter("norm.bias", Tensor.Zeros([e]));
        RegisterParameter("out_proj.weight", init.FanIn(e, dModel, e));
    }

    /// <summary>Channels per head P.</summary>
    public int HeadDim { get; }

    /// <summary>B/C groups G.</summary>
    public int Groups { get; }

    /// <summary>State size N.</summary>
    public int DState { get; }

    /// <summary>True when a = Δ·exp(A_log) (positive).</summary>
    public bool PositiveDA { get; }

    /// <summary>u: (B, H·W, d) on an <paramref name="height"/> × <paramref name="width"/> grid → (B, H·W, d).
    /// </summary>
    public Tensor Forward(Tensor u, int height, int width) =>
        Forward(Param, u, height, width, HeadDim, Groups, DState, PositiveDA);

    /// <summary>The mixer on u (B, H·W, d) with parameters looked up by their state-dict names.</summary>
    public static Tensor Forward(Func<string, Tensor> p, Tensor u, int height, int width, int headDim, int groups,
        int dState, bool positiveDA)
    {
        if (u.Rank != 3 || u.Shape[1] != height * width)
            throw new ArgumentException($"[vssd_mixer] u {ShapeUtil.Format(u.Shape)} must be (B, {height}·{width}, d)");
        int b = u.Shape[0], l = u.Shape[1], nh = p("A_log").Shape[0], e = nh * headDim, gn = groups * dState;
        var convW = p("conv2d.weight");                                            // (E+2GN, 1, k, k)
        var parts = F.Split(F.Linear(u, p("in_proj.weight")), [e, e + 2 * gn, nh], -1);
        var dt = F.Softplus(F.Add(parts[2], p("dt_bias")));                        // (B, L, nh)
        var xbcImg = parts[1].Permute(0, 2, 1).Reshape(b, e + 2 * gn, height, width);
        var xbc = F.Silu(F.DepthwiseConv2d(xbcImg, convW, p("conv2d.bias"), (convW.Shape[2] - 1) / 2))
            .Reshape(b, e + 2 * gn, l).Permute(0, 2, 1);                           // (B, L, E+2GN)
        var xs = F.Split(xbc, [e, gn, gn], -1);
        var y = F.NcSsd(xs[0].Reshape(b, l, nh, headDim), dt, F.Neg(F.Exp(p("A_log"))), xs[1], xs[2], p("D"),
            groups, positiveDA).Reshape(b, l, e);                                  // (B, L, E)
        y = F.Mul(F.LayerNorm(y, p("norm.weight"), p("norm.bias"), 1e-5), parts[0]);
        return F.Linear(y, p("out_proj.weight"));                                  // (B, L, d)
    }
}
