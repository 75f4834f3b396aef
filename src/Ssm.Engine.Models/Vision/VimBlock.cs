using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>hustvl/Vim <c>Block</c> (Add → RMSNorm → Mixer) around a <see cref="VimMixer"/>:
/// res = hidden + residual (hidden alone for the first block), h = rmsnorm(res), returns (mixer(h), res).
/// Parameters: <c>norm.weight</c> and <c>mixer.*</c>.</summary>
public sealed class VimBlock : Module
{
    /// <summary>A block of width <paramref name="dModel"/> (see <see cref="VimMixer"/> for the rest).</summary>
    public VimBlock(int dModel, int dState, int expand, int dConv, int dtRank, bool divideOut, double eps, Init init)
    {
        Mixer = RegisterModule("mixer", new VimMixer(dModel, dState, expand, dConv, dtRank, divideOut, init));
        Norm = RegisterModule("norm", new RmsNorm(dModel, eps));
    }

    /// <summary>The bidirectional mixer.</summary>
    public VimMixer Mixer { get; }

    /// <summary>The pre-norm.</summary>
    public RmsNorm Norm { get; }

    /// <summary>hidden, residual: (B, L, d) (residual null for the first block) → (hidden, residual).</summary>
    public (Tensor Hidden, Tensor Residual) Forward(Tensor hidden, Tensor? residual) =>
        Forward(GetParameter, hidden, residual, Norm.Eps, Mixer.DivideOut);

    /// <summary>The block with parameters looked up by their state-dict names relative to the block
    /// (<c>norm.weight</c>, <c>mixer.in_proj.weight</c>, ...).</summary>
    public static (Tensor Hidden, Tensor Residual) Forward(Func<string, Tensor> p, Tensor hidden, Tensor? residual,
        double eps, bool divideOut)
    {
        if (residual is not null && !residual.Shape.AsSpan().SequenceEqual(hidden.Shape))
            throw new ArgumentException($"[vim_block] residual {ShapeUtil.Format(residual.Shape)} does not match " +
                $"hidden_states {ShapeUtil.Format(hidden.Shape)}");
        var res = residual is null ? hidden : F.Add(hidden, residual);
        var h = F.RmsNorm(res, p("norm.weight"), eps);
        return (VimMixer.Forward(name => p("mixer." + name), h, divideOut), res);
    }
}
