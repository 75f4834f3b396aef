using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Models.Lm.MixerInit;

namespace Ssm.Engine.Models.Lm;

/// <summary>Mamba-1 mixer (mamba_ssm <c>Mamba</c>): [x | z] = in_proj(u); x = silu(conv(x));
/// [dt | B | C] = x_proj(x); dt = dt_proj.weight·dt; y = selective_scan(x, dt, −exp(A_log), B, C, D, z,
/// dt_proj.bias, softplus); out_proj(y).</summary>
public sealed class MambaMixer : Module, IMixer
{
    private readonly Linear _inProj, _xProj, _dtProj, _outProj;
    private readonly CausalConv1d _conv;

    /// <summary>A mixer of width <paramref name="dModel"/> with upstream initialisation.</summary>
    public MambaMixer(int dModel, SsmConfig c, Init init)
    {
        DInner = c.Expand * dModel;
        State = c.StateSize;
        DtRank = c.DtRank ?? (dModel + 15) / 16;
        _inProj = RegisterModule("in_proj", new Linear(dModel, 2 * DInner, c.Bias, init));
        _conv = RegisterModule("conv1d", new CausalConv1d(DInner, c.DConv, c.ConvBias, init));
        _xProj = RegisterModule("x_proj", new Linear(DInner, DtRank + 2 * State, false, init));
        _dtProj = RegisterModule("dt_proj", new Linear(DtRank, DInner, true, init));
        _dtProj.SetParameter("bias", DtBias(init, DInner));
        var aLog = new float[DInner * State];
        for (int i = 0; i < aLog.Length; i++) aLog[i] = MathF.Log(i % State + 1);
        RegisterParameter("A_log", Tensor.FromArray(aLog, DInner, State));
        RegisterParameter("D", Tensor.Ones(DInner));
        _outProj = RegisterModule("out_proj", new Linear(DInner, dModel, c.Bias, init));
    }

    /// <inheritdoc/>
    public LayerKind Kind => LayerKind.Mamba1;

    /// <summary>d_inner.</summary>
    public int DInner { get; }

    /// <summary>N.</summary>
    public int State { get; }

    /// <summary>R.</summary>
    public int DtRank { get; }

    private Tensor A => -F.Exp(Fp32(Param("A_log")));

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, LayerCache? cache = null)
    {
        var xz = F.Split(_inProj.Forward(x), [DInner, DInner], -1);
        var xin = xz[0].Permute(0, 2, 1);                                      // (B, D, L)
        var z = xz[1].Permute(0, 2, 1);
        var (xc, conv) = _conv.Forward(xin, cache?.Conv);
        var dbc = F.Split(_xProj.Forward(xc.Permute(0, 2, 1)), [DtRank, State, State], -1);
        var dt = F.MatMul(dbc[0], _dtProj.Weight.MT).Permute(0, 2, 1);         // (B, D, L)
        var (y, last) = F.SelectiveScan(xc, dt, A, dbc[1].Permute(0, 2, 1), dbc[2].Permute(0, 2, 1), Param("D"), z,
            _dtProj.Bias, deltaSoftplus: true, h0: cache?.Ssm);
        if (cache is not null)
        {
            cache.Conv = conv;
            cache.Ssm = last;
        }
        return _outProj.Forward(y.Permute(0, 2, 1));
    }

    /// <inheritdoc/>
    public Tensor Step(Tensor xt, LayerCache cache)
    {
        int b = xt.Shape[0];
        var xz = F.Split(_inProj.Forward(xt), [DInner, DInner], -1);
        var (xc, conv) = _conv.Step(xz[0], cache.Conv ?? Tensor.Zeros(b, DInner, _conv.Width));
        var dbc = F.Split(_xProj.Forward(xc), [DtRank, State, State], -1);
        var dt = F.MatMul(dbc[0], _dtProj.Weight.MT);                          // (B, D)
        var (y, next) = F.SelectiveStateUpdate(cache.Ssm ?? Tensor.Zeros(b, DInner, State), xc, dt, A, dbc[1],
            dbc[2], Param("D"), xz[1], _dtProj.Bias, dtSoftplus: true);
        cache.Conv = conv;
        cache.Ssm = next;
        return _outProj.Forward(y);
    }
}
