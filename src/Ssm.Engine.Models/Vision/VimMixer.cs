using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>hustvl/Vim's bidirectional Mamba mixer (<c>Mamba(bimamba_type="v2")</c>): shared in_proj / out_proj,
/// a forward branch and a backward branch with their own conv1d, x_proj, dt_proj, A and D. The backward branch
/// runs the causal conv and scan on the reversed sequence (anti-causal in the original order);
/// y = out_proj((y_f + flip(y_b)) / 2), without the halving when <see cref="DivideOut"/> is false.
/// Parameter names follow the upstream state dict (<c>A_log</c>, <c>in_proj.weight</c>, <c>conv1d_b.bias</c>, ...).
/// </summary>
public sealed class VimMixer : Module
{
    /// <summary>State-dict names of the mixer's tensors, in upstream order.</summary>
    public static readonly IReadOnlyList<string> ParameterNames =
    [
        "A_log", "D", "A_b_log", "D_b", "in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight",
        "dt_proj.weight", "dt_proj.bias", "conv1d_b.weight", "conv1d_b.bias", "x_proj_b.weight",
        "dt_proj_b.weight", "dt_proj_b.bias", "out_proj.weight",
    ];

    /// <summary>A mixer of width <paramref name="dModel"/>, inner width E = expand·d, state N, conv width W and
    /// dt rank R, initialised from <paramref name="init"/> (load a checkpoint for real weights).</summary>
    public VimMixer(int dModel, int dState, int expand, int dConv, int dtRank, bool divideOut, Init init)
    {
        int e = expand * dModel;
        DivideOut = divideOut;
        var aLog = new float[e * dState];
        for (int i = 0; i < e; i++)
            for (int n = 0; n < dState; n++) aLog[i * dState + n] = MathF.Log(n + 1);
        foreach (string s in new[] { "", "_b" })
        {
            RegisterParameter("A" + s + "_log", Tensor.FromArray((float[])aLog.Clone(), e, dState));
            RegisterParameter("D" + s, Tensor.Ones(e));
        }
        RegisterParameter("in_proj.weight", init.FanIn(dModel, 2 * e, dModel));
        foreach (string s in new[] { "", "_b" })
        {
            RegisterParameter($"conv1d{s}.weight", init.FanIn(dConv, e, 1, dConv));
            RegisterParameter($"conv1d{s}.bias", init.FanIn(dConv, e));
            RegisterParameter($"x_proj{s}.weight", init.FanIn(e, dtRank + 2 * dState, e));
            RegisterParameter($"dt_proj{s}.weight", init.FanIn(dtRank, e, dtRank));
            RegisterParameter($"dt_proj{s}.bias", init.Uniform(-4.6, -2.3, e));
        }
        RegisterParameter("out_proj.weight", init.FanIn(e, dModel, e));
    }

    /// <summary>True when the two branches are averaged (upstream <c>if_divide_out</c>).</summary>
    public bool DivideOut { get; }

    /// <summary>h: (B, L, d) → (B, L, d).</summary>
    public Tensor Forward(Tensor h) => Forward(Param, h, DivideOut);

    /// <summary>The mixer on h (B, L, d) with parameters looked up by their state-dict names (without prefix).
    /// </summary>
    public static Tensor Forward(Func<string, Tensor> p, Tensor h, bool divideOut)
    {
        if (h.Rank != 3)
            throw new ArgumentException($"[vim_mixer] hidden_states {ShapeUtil.Format(h.Shape)} must be (B, L, d)");
        int e = p("D").Shape[0];
        var xz = F.Split(F.Linear(h, p("in_proj.weight")), [e, e], -1);           // 2 × (B, L, E)
        var x = xz[0].Permute(0, 2, 1);                                            // (B, E, L)
        var z = xz[1].Permute(0, 2, 1);                                            // (B, E, L)
        var yf = Branch(p, "", x, z);
        var yb = Branch(p, "_b", F.FlipTokens(x, 2).Contiguous(), F.FlipTokens(z, 2).Contiguous());
        var y = F.Add(yf, F.FlipTokens(yb, 2));                                    // (B, E, L)
        if (divideOut) y = F.Mul(y, y.Scalar(0.5));
        return F.Linear(y.Permute(0, 2, 1), p("out_proj.weight"));                 // (B, L, d)
    }

    /// <summary>Mamba-1 inner path of one direction: x, z (B, E, L) → y (B, E, L).</summary>
    private static Tensor Branch(Func<string, Tensor> p, string s, Tensor x, Tensor z)
    {
        var a = F.Neg(F.Exp(p($"A{s}_log")));                                      // (E, N)
        int n = a.Shape[1];
        var dtW = p($"dt_proj{s}.weight");                                         // (E, R)
        int r = dtW.Shape[1];
        var xc = F.CausalConv1d(x, p($"conv1d{s}.weight"), p($"conv1d{s}.bias"), silu: true).Y;   // (B, E, L)
        var parts = F.Split(F.Linear(xc.Permute(0, 2, 1), p($"x_proj{s}.weight")), [r, n, n], -1);
        var dt = F.Linear(parts[0], dtW).Permute(0, 2, 1);                         // (B, E, L)
        var bm = parts[1].Permute(0, 2, 1);                                        // (B, N, L)
        var cm = parts[2].Permute(0, 2, 1);                                        // (B, N, L)
        return F.SelectiveScan(xc, dt, a, bm, cm, p($"D{s}"), z, p($"dt_proj{s}.bias"), deltaSoftplus: true).Y;
    }
}
