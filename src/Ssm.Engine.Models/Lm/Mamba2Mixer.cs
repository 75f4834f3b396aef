using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Models.Lm.MixerInit;

namespace Ssm.Engine.Models.Lm;

/// <summary>Mamba-2 mixer (mamba_ssm <c>Mamba2</c>): [z | xBC | dt] = in_proj(u); xBC = silu(conv(xBC));
/// [x | B | C] = xBC; y = ssd(x, dt, −exp(A_log), B, C, D, dt_bias, softplus, dt_limit);
/// y = rmsnorm_gated(y, z, group d_inner/G); out_proj(y). The decode step ignores dt_limit, as upstream.</summary>
public sealed class Mamba2Mixer : Module, IMixer
{
    private readonly Linear _inProj, _outProj;
    private readonly CausalConv1d _conv;
    private readonly GatedRmsNorm _norm;
    private readonly SsmConfig _c;

    /// <summary>A mixer of width <paramref name="dModel"/> with upstream initialisation.</summary>
    public Mamba2Mixer(int dModel, SsmConfig c, double eps, Init init)
    {
        _c = c;
        DInner = c.Expand * dModel;
        State = c.StateSize;
        HeadDim = c.HeadDim;
        Heads = DInner / HeadDim;
        Groups = c.NGroups;
        ConvDim = DInner + 2 * Groups * State;
        _inProj = RegisterModule("in_proj", new Linear(dModel, DInner + ConvDim + Heads, c.Bias, init));
        _conv = RegisterModule("conv1d", new CausalConv1d(ConvDim, c.DConv, c.ConvBias, init));
        RegisterParameter("dt_bias", DtBias(init, Heads));
        RegisterParameter("A_log", F.Log(init.Uniform(1, 16, Heads)));
        RegisterParameter("D", Tensor.Ones(Heads));
        _norm = RegisterModule("norm", new GatedRmsNorm(DInner, DInner / Groups, normBeforeGate: false, eps));
        _outProj = RegisterModule("out_proj", new Linear(DInner, dModel, c.Bias, init));
    }

    /// <inheritdoc/>
    public LayerKind Kind => LayerKind.Mamba2;

    /// <summary>d_inner = H · P.</summary>
    public int DInner { get; }
    /// <summary>N.</summary>
    public int State { get; }
    /// <summary>P.</summary>
    public int HeadDim { get; }
    /// <summary>H.</summary>
    public int Heads { get; }
    /// <summary>G.</summary>
    public int Groups { get; }
    /// <summary>Conv channels: d_inner + 2·G·N.</summary>
    public int ConvDim { get; }

    private Tensor A => -F.Exp(Fp32(Param("A_log")));

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, LayerCache? cache = null)
    {
        int b = x.Shape[0], l = x.Shape[1], gn = Groups * State;
        var parts = F.Split(_inProj.Forward(x), [DInner, ConvDim, Heads], -1);
        var (xbc, conv) = _conv.Forward(parts[1].Permute(0, 2, 1), cache?.Conv);
        var s = F.Split(xbc.Permute(0, 2, 1), [DInner, gn, gn], -1);
        var (y, final) = F.Ssd(s[0].Reshape(b, l, Heads, HeadDim), parts[2], A, s[1].Reshape(b, l, Groups, State),
            s[2].Reshape(b, l, Groups, State), Param("D"), null, Param("dt_bias"), dtSoftplus: true,
            dtLimit: _c.DtLimit, initialStates: cache?.Ssm, chunkSize: _c.ChunkSize);
        if (cache is not null)
        {
            cache.Conv = conv;
            cache.Ssm = final;
        }
        return _outProj.Forward(_norm.Forward(y.Reshape(b, l, DInner), parts[0]));
    }

    /// <inheritdoc/>
    public Tensor Step(Tensor xt, LayerCache cache)
    {
        int b = xt.Shape[0], gn = Groups * State;
        var parts = F.Split(_inProj.Forward(xt), [DInner, ConvDim, Heads], -1);
        var (xbc, conv) = _conv.Step(parts[1], cache.Conv ?? Tensor.Zeros(xt.Device, b, ConvDim, _conv.Width));
        var s = F.Split(xbc, [DInner, gn, gn], -1);
        var perHead = (Tensor t) => Fp32(t).Unsqueeze(-1).Expand(Heads, HeadDim);
        var (y, next) = F.SelectiveStateUpdate(cache.Ssm ?? Tensor.Zeros(xt.Device, b, Heads, HeadDim, State),
            s[0].Reshape(b, Heads, HeadDim), parts[2].Unsqueeze(-1).Expand(b, Heads, HeadDim),
            A.Unsqueeze(-1).Unsqueeze(-1).Expand(Heads, HeadDim, State), s[1].Reshape(b, Groups, State),
            s[2].Reshape(b, Groups, State), perHead(Param("D")), null, perHead(Param("dt_bias")), dtSoftplus: true);
        cache.Conv = conv;
        cache.Ssm = next;
        return _outProj.Forward(_norm.Forward(y.Reshape(b, DInner), parts[0]));
    }
}
