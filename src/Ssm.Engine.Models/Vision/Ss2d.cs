using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>VMamba SS2D forward types implemented here (MzeroMiko/VMamba <c>forward_type</c>).</summary>
public enum Ss2dForwardType
{
    /// <summary><c>v0</c>: in_proj to 2E, z gate silu(z) after the output LayerNorm.</summary>
    V0,

    /// <summary><c>v05_noz</c>: in_proj to E, no z gate (same scan math as v2).</summary>
    V05NoZ,
}

/// <summary>VMamba's SS2D on a channel-last image x (B, H, W, d): in_proj → depthwise conv2d + SiLU → 4-direction
/// cross-scan → per-direction x_proj / dt_proj → one selective scan with 4 groups (channel k·E + e reads direction
/// k's B/C) → cross-merge → LayerNorm (· silu(z) for v0) → out_proj. Parameter names follow the official state
/// dict: <c>in_proj.weight</c>, <c>conv2d.weight</c>, <c>conv2d.bias</c>, <c>x_proj_weight</c> (4, R+2N, E),
/// <c>dt_projs_weight</c> (4, E, R), <c>dt_projs_bias</c> (4, E), <c>A_logs</c> (4E, N), <c>Ds</c> (4E),
/// <c>out_norm.*</c>, <c>out_proj.weight</c>.</summary>
public sealed class Ss2d : Module
{
    /// <summary>An SS2D of width <paramref name="dModel"/>, inner width E = round(ssmRatio·d), state N, dt rank R
    /// (0 = ⌈d/16⌉ as upstream "auto"), a k×k depthwise conv (<paramref name="dConv"/> 0 = none), initialised like
    /// upstream (dt from log-uniform [0.001, 0.1], A = 1..N, D = 1).</summary>
    public Ss2d(int dModel, int dState, double ssmRatio, int dConv, bool convBias, Ss2dForwardType type, Init init,
        int dtRank = 0)
    {
        int e = (int)Math.Round(ssmRatio * dModel), r = dtRank > 0 ? dtRank : (dModel + 15) / 16;
        if (e < 1 || dState < 1 || dConv < 0 || (dConv > 0 && dConv % 2 == 0))
            throw new ArgumentException($"[ss2d] d_model {dModel}, ssm_ratio {ssmRatio}, d_state {dState}, " +
                $"d_conv {dConv} (odd or 0) are inconsistent");
        Type = type;
        RegisterParameter("in_proj.weight", init.FanIn(dModel, type == Ss2dForwardType.V0 ? 2 * e : e, dModel));
        if (dConv > 0)
        {
            RegisterParameter("conv2d.weight", init.FanIn(dConv * dConv, e, 1, dConv, dConv));
            if (convBias) RegisterParameter("conv2d.bias", init.FanIn(dConv * dConv, e));
        }
        RegisterParameter("x_proj_weight", init.FanIn(e, 4, r + 2 * dState, e));
        RegisterParameter("dt_projs_weight", init.Uniform(-Math.Pow(r, -0.5), Math.Pow(r, -0.5), 4, e, r));
        RegisterParameter("dt_projs_bias", VisionInit.DtBias(init, 4, e));
        RegisterParameter("A_logs", VisionInit.ALogs(4 * e, dState));
        RegisterParameter("Ds", Tensor.Ones(4 * e));
        RegisterParameter("out_norm.weight", Tensor.Ones(e));
        RegisterParameter("out_norm.bias", Tensor.Zeros([e]));
        RegisterParameter("out_proj.weight", init.FanIn(e, dModel, e));
    }

    /// <summary>The forward type.</summary>
    public Ss2dForwardType Type { get; }

    /// <summary>x: (B, H, W, d) → (B, H, W, d).</summary>
    public Tensor Forward(Tensor x) => Forward(n => HasParam(n) ? Param(n) : null, x, Type);

    /// <summary>SS2D on x (B, H, W, d) with parameters looked up by their state-dict names (null when absent:
    /// only <c>conv2d.*</c> are optional).</summary>
    public static Tensor Forward(Func<string, Tensor?> p, Tensor x, Ss2dForwardType type)
    {
        if (x.Rank != 4) throw new ArgumentException($"[ss2d] x {ShapeUtil.Format(x.Shape)} must be (B, H, W, d)");
        Tensor Req(string n) => p(n) ?? throw new ArgumentException($"[ss2d] missing parameter {n}");
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], l = h * w;
        var aLogs = Req("A_logs");                                                 // (4E, N)
        int e = aLogs.Shape[0] / 4, n = aLogs.Shape[1];
        var dtW = Req("dt_projs_weight");                                          // (4, E, R)
        int r = dtW.Shape[2];
        var xz = F.Linear(x, Req("in_proj.weight"));                               // (B, H, W, E | 2E)
        Tensor? z = null;
        if (type == Ss2dForwardType.V0)
        {
            var parts = F.Split(xz, [e, e], -1);
            xz = parts[0];
            z = F.Silu(parts[1]);
        }
        var img = xz.Permute(0, 3, 1, 2);                                          // (B, E, H, W)
        if (p("conv2d.weight") is { } convW)
            img = F.DepthwiseConv2d(img.Contiguous(), convW, p("conv2d.bias"), (convW.Shape[2] - 1) / 2);
        img = F.Silu(img);
        var xs = F.CrossScan(img);                                                 // (B, 4, E, L)
        var xd = F.MatMul(Req("x_proj_weight"), xs);                               // (B, 4, R+2N, L)
        var dbl = F.Split(xd, [r, n, n], 2);
        var dt = F.MatMul(dtW, dbl[0]);                                            // (B, 4, E, L)
        var ys = F.SelectiveScan(xs.Reshape(b, 4 * e, l), dt.Reshape(b, 4 * e, l), F.Neg(F.Exp(aLogs)),
            dbl[1].Contiguous(), dbl[2].Contiguous(), Req("Ds"), null, Req("dt_projs_bias").Reshape(4 * e),
            deltaSoftplus: true).Y;                                                // (B, 4E, L)
        var y = F.CrossMerge(ys.Reshape(b, 4, e, l), h, w);                        // (B, E, L)
        y = F.LayerNorm(y.Permute(0, 2, 1), Req("out_norm.weight"), Req("out_norm.bias"), 1e-5)
            .Reshape(b, h, w, e);                                                  // (B, H, W, E)
        if (z is not null) y = F.Mul(y, z);
        return F.Linear(y, Req("out_proj.weight"));                                // (B, H, W, d)
    }
}
