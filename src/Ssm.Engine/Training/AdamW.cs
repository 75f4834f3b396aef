using System.Numerics;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Hyper-parameters of <see cref="AdamW"/> (defaults of torch.optim.AdamW).</summary>
public sealed record AdamWOptions
{
    /// <summary>Initial learning rate (a schedule overwrites <see cref="Optimizer.LearningRate"/> per step).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Added to the bias-corrected root second moment.</summary>
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay of the "decay" group.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Which parameters are exempt from decay (default <see cref="WeightDecayRule.MambaDefault"/>).</summary>
    public WeightDecayRule? DecayRule { get; init; }
}

/// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter), as torch.optim.AdamW:
/// p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). Moments are kept in the parameter's dtype
/// (float32 or float64); arithmetic is done in float64.</summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] SlotNames = ["exp_avg", "exp_avg_sq"];

    /// <summary>The hyper-parameters.</summary>
    public AdamWOptions Options { get; }

    /// <summary>An AdamW over <paramref name="parameters"/>.</summary>
    public AdamW(ParameterSet parameters, AdamWOptions? options = null)
        : base(parameters, (options ??= new()).LearningRate, options.WeightDecay, options.DecayRule)
    {
        if (options.Beta1 is < 0 or >= 1 || options.Beta2 is < 0 or >= 1)
            throw new ArgumentException($"[adamw] betas ({options.Beta1}, {options.Beta2}) must lie in [0, 1)");
        if (options.Epsilon <= 0) throw new ArgumentException($"[adamw] epsilon {options.Epsilon} must be > 0");
        Options = options;
    }

    /// <inheritdoc/>
    public override string Kind => "adamw";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> Slots => SlotNames;

    /// <inheritdoc/>
    protected override void Update(NamedParameter p, Tensor grad, double weightDecay, long step)
    {
        var m = State("exp_avg", p).Value;
        var v = State("exp_avg_sq", p).Value;
        switch (p.Param.DType)
        {
            case DType.Float32:
                Apply(p.Param.Span<float>(), grad.Span<float>(), m.Span<float>(), v.Span<float>(), weightDecay, step);
                break;
            case DType.Float64:
                Apply(p.Param.Span<double>(), grad.Span<double>(), m.Span<double>(), v.Span<double>(), weightDecay,
                    step);
                break;
            default:
                throw new NotSupportedException($"[adamw] '{p.Name}' is {p.Param.DType}; keep master weights in "
                    + "float32 or float64");
        }
    }

    private void Apply<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, double wd, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lr = LearningRate, b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Epsilon;
        double bc1 = 1 - Math.Pow(b1, step), bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, step));
        double stepSize = lr / bc1, decay = 1 - lr * wd;
        for (int i = 0; i < p.Length; i++)
        {
            double gi = double.CreateTruncating(g[i]);
            double pi = double.CreateTruncating(p[i]);
            if (wd != 0) pi *= decay;
            T mi = T.CreateTruncating(b1 * double.CreateTruncating(m[i]) + (1 - b1) * gi);
            T vi = T.CreateTruncating(b2 * double.CreateTruncating(v[i]) + (1 - b2) * gi * gi);
            m[i] = mi;
            v[i] = vi;
            double denom = Math.Sqrt(double.CreateTruncating(vi)) / bc2Sqrt + eps;
            p[i] = T.CreateTruncating(pi - stepSize * double.CreateTruncating(mi) / denom);
        }
    }
}
