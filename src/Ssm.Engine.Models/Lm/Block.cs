using Ssm.Engine.Models.Nn;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>mamba_ssm <c>Block</c> (Add → Norm → Mixer, then optionally Add → Norm → MLP): the residual
/// stream is carried separately in float32 and added inside the fused norm.</summary>
public sealed class Block : Module
{
    private readonly RmsNorm _norm;
    private readonly RmsNorm? _norm2;
    private readonly GatedMlp? _mlp;

    /// <summary>A block around <paramref name="mixer"/> (a <see cref="Module"/> implementing
    /// <see cref="IMixer"/>), with a gated MLP when <paramref name="mlp"/> is given.</summary>
    public Block(int dModel, Module mixer, GatedMlp? mlp, double eps)
    {
        Mixer = mixer as IMixer ?? throw new ArgumentException("[block] mixer must implement IMixer");
        _norm = RegisterModule("norm", new RmsNorm(dModel, eps));
        RegisterModule("mixer", mixer);
        if (mlp is not null)
        {
            _norm2 = RegisterModule("norm2", new RmsNorm(dModel, eps));
            _mlp = RegisterModule("mlp", mlp);
        }
    }

    /// <summary>The sequence mixer.</summary>
    public IMixer Mixer { get; }

    /// <summary>hidden, residual: (B, L, D) (residual null before the first block) → new (hidden, residual).
    /// </summary>
    public (Tensor Hidden, Tensor Residual) Forward(Tensor hidden, Tensor? residual, LayerCache? cache) =>
        Run(hidden, residual, h => Mixer.Forward(h, cache));

    /// <summary>One token: hidden, residual (B, D).</summary>
    public (Tensor Hidden, Tensor Residual) Step(Tensor hidden, Tensor? residual, LayerCache cache) =>
        Run(hidden, residual, h => Mixer.Step(h, cache));

    private (Tensor, Tensor) Run(Tensor hidden, Tensor? residual, Func<Tensor, Tensor> mix)
    {
        var (h, res) = _norm.Forward(hidden, residual);
        h = mix(h);
        if (_mlp is null) return (h, res);
        var (h2, res2) = _norm2!.Forward(h, res);
        return (_mlp.Forward(h2), res2);
    }
}
