using System.Numerics;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Hyper-parameters of <see cref="Sgd"/> (defaults of torch.optim.SGD).</summary>
public sealed record SgdOptions
{
    /// <summary>Initial learning rate.</summary>
    public double LearningRate { get; init; } = 1e-2;
    /// <summary>Momentum factor (0 = plain SGD).</summary>
    public double Momentum { get; init; }
    /// <summary>Dampening of the gradient added to the momentum buffer.</summary>
    public double Dampening { get; init; }
    /// <summary>Nesterov momentum (requires momentum &gt; 0 and zero dampening).</summary>
    public bool Nesterov { get; init; }
    /// <summary>L2 weight decay (added to the gradient) of the "decay" group.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Which parameters are exempt from decay (default <see cref="WeightDecayRule.MambaDefault"/>).</summary>
    public WeightDecayRule? DecayRule { get; init; }
}

/// <summary>Stochastic gradient descent as torch.optim.SGD: g ← g + wd·p; with momentum μ the buffer is
/// b ← g on the first step, then b ← μ·b + (1 − dampening)·g; the direction is g + μ·b (Nesterov) or b;
/// p ← p − lr·direction. Arithmetic in float64, buffers in the parameter's dtype.</summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] SlotNames = ["momentum_buffer"];

    /// <summary>The hyper-parameters.</summary>
    public SgdOptions Options { get; }

    /// <summary>An SGD over <paramref name="parameters"/>.</summary>
    public Sgd(ParameterSet parameters, SgdOptions? options = null)
        : base(parameters, (options ??= new()).LearningRate, options.WeightDecay, options.DecayRule)
    {
        if (options.Momentum < 0) throw new ArgumentException($"[sgd] negative momentum {options.Momentum}");
        if (options.Nesterov && (options.Momentum <= 0 || options.Dampening != 0))
            throw new ArgumentException("[sgd] Nesterov momentum requires momentum > 0 and zero dampening");
        Options = options;
    }

    /// <inheritdoc/>
    public override string Kind => "sgd";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> Slots => Options.Momentum > 0 ? SlotNames : [];

    /// <inheritdoc/>
    protected override void Update(NamedParameter p, Tensor grad, double weightDecay, long step)
    {
        (Tensor Value, bool Created) buf = Options.Momentum > 0 ? State("momentum_buffer", p) : (grad, false);
        switch (p.Param.DType)
        {
            case DType.Float32:
                Apply(p.Param.Span<float>(), grad.Span<float>(), buf.Value.Span<float>(), buf.Created, weightDecay);
                break;
            case DType.Float64:
                Apply(p.Param.Span<double>(), grad.Span<double>(), buf.Value.Span<double>(), buf.Created,
                    weightDecay);
                break;
            default:
                throw new NotSupportedException($"[sgd] '{p.Name}' is {p.Param.DType}; keep master weights in "
                    + "float32 or float64");
        }
    }

    private void Apply<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> b, bool first, double wd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lr = LearningRate, mu = Options.Momentum, damp = Options.Dampening;
        for (int i = 0; i < p.Length; i++)
        {
            double pi = double.CreateTruncating(p[i]);
            double d = double.CreateTruncating(g[i]) + wd * pi;
            if (mu > 0)
            {
                T bi = T.CreateTruncating(first ? d : mu * double.CreateTruncating(b[i]) + (1 - damp) * d);
                b[i] = bi;
                double bd = double.CreateTruncating(bi);
                d = Options.Nesterov ? d + mu * bd : bd;
            }
            p[i] = T.CreateTruncating(pi - lr * d);
        }
    }
}
