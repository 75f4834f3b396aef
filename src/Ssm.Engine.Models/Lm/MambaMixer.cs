using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Models.Lm.MixerInit;

namespace Ssm.Engine.Models.Lm;

/// <summary>Mamba-1 mixer (mamba_ssm <c>Mamba</c>): [x | z] = in_proj(u); x = silu(conv(x));
/// [dt | B | C] = x_proj(x); dt = dt_proj.weight·dt; y = selective_scan(x, dt, −exp(A_log), B, C, D, z,
/// dt_proj.bias, softplus); out_proj(y). With <see cref="SsmSelectivity.Lti"/> (the ablation) Δ = softplus(dt_bias)
/// per channel and B, C are learned vectors (N): nothing of the SSM depends on the input.</summary>
public sealed class MambaMixer : Module, IMixer
{
    private readonly Linear _inProj, _outProj;
    private readonly Linear? _xProj, _dtProj;
    private readonly CausalConv1d _conv;

    /// <summary>A mixer of width <paramref name="dModel"/> with upstream initialisation.</summary>
    public MambaMixer(int dModel, SsmConfig c, Init init)
    {
        DInner = c.Expand * dModel;
        State = c.StateSize;
        DtRank = c.DtRank ?? (dModel + 15) / 16;
        _inProj = RegisterModule("in_proj", new Linear(dModel, 2 * DInner, c.Bias, init));
        _conv = RegisterModule("conv1d", new CausalConv1d(DInner, c.DConv, c.ConvBias, init));
        Selectivity = c.Selectivity;
        if (Selectivity == SsmSelectivity.Lti)
        {
            RegisterParameter("dt_bias", DtBias(init, DInner));
            RegisterParameter("B", init.Normal(1.0, State));
            RegisterParameter("C", init.Normal(1.0 / Math.Sqrt(State), State));
        }
        else
        {
            _xProj = RegisterModule("x_proj", new Linear(DInner, DtRank + 2 * State, false, init));
            _dtProj = RegisterModule("dt_proj", new Linear(DtRank, DInner, true, init));
            _dtProj.SetParameter("bias", DtBias(init, DInner));
        }
        var aLog = new float[DInner * State];
        for (int i = 0; i < aLog.Length; i++) aLog[i] = MathF.Log(i % State + 1);
        RegisterParameter("A_log", Tensor.FromArray(aLog, DInner, State));
        RegisterParameter("D", Tensor.Ones(DInner));
        _outProj = RegisterModule("out_proj", new Linear(DInner, dModel, c.Bias, init));
    }

    /// <inheritdoc/>
    public LayerKind Kind => LayerKind.Mamba1;

    /// <summary>Selective (Mamba) or the LTI ablation.</summary>
    public SsmSelectivity Selectivity { get; }

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
        var (dt, bm, cm, dtBias) = ScanInputs(xc);
        var (y, last) = F.SelectiveScan(xc, dt, A, bm, cm, Param("D"), z, dtBias, deltaSoftplus: true,
            h0: cache?.Ssm);
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
        var (xc, conv) = _conv.Step(xz[0], cache.Conv ?? Tensor.Zeros(xt.Device, b, DInner, _conv.Width));
        var (dt, bm, cm, dtBias) = StepInputs(xc);
        var state = cache.Ssm ?? Tensor.Zeros(xt.Device, b, DInner, State);
        var (y, next) = F.SelectiveStateUpdate(state, xc, dt, A, bm, cm, Param("D"), xz[1], dtBias, dtSoftplus: true);
        cache.Conv = conv;
        cache.Ssm = next;
        return _outProj.Forward(y);
    }

    /// <summary>The scan's Δ (before bias and softplus), B, C and Δ bias for xc (B, D, L): Δ (B, D, L),
    /// B and C (B, N, L). Exposed for tests of the LTI ablation.</summary>
    public (Tensor Dt, Tensor B, Tensor C, Tensor DtBias) ScanInputs(Tensor xc)
    {
        int b = xc.Shape[0], l = xc.Shape[2];
        if (_xProj is null || _dtProj is null)
            return (Tensor.Zeros(xc.Device, b, DInner, l), Param("B").Reshape(1, State, 1).Expand(b, State, l),
                Param("C").Reshape(1, State, 1).Expand(b, State, l), Param("dt_bias"));
        var dbc = F.Split(_xProj.Forward(xc.Permute(0, 2, 1)), [DtRank, State, State], -1);
        var dt = F.MatMul(dbc[0], _dtProj.Weight.MT).Permute(0, 2, 1);         // (B, D, L)
        return (dt, dbc[1].Permute(0, 2, 1), dbc[2].Permute(0, 2, 1), _dtProj.Bias!);
    }

    private (Tensor Dt, Tensor B, Tensor C, Tensor DtBias) StepInputs(Tensor xc)
    {
        int b = xc.Shape[0];                                                   // xc: (B, D)
        if (_xProj is null || _dtProj is null)
            return (Tensor.Zeros(xc.Device, b, DInner), Param("B").Reshape(1, State).Expand(b, State),
                Param("C").Reshape(1, State).Expand(b, State), Param("dt_bias"));
        var dbc = F.Split(_xProj.Forward(xc), [DtRank, State, State], -1);
        return (F.MatMul(dbc[0], _dtProj.Weight.MT), dbc[1], dbc[2], _dtProj.Bias!);
    }
}
