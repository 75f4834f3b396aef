using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Parameters sharing one weight-decay coefficient.</summary>
public sealed record ParameterGroup(string Name, IReadOnlyList<NamedParameter> Parameters, double WeightDecay);

/// <summary>Base of the optimisers: parameter groups (decayed / exempt by a <see cref="WeightDecayRule"/>),
/// the learning rate (set per step by a schedule), the step count and per-parameter state slots that can be
/// exported and imported as named tensors (<c>step</c>, <c>{slot}.{parameter}</c>).</summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);

    /// <summary>Splits <paramref name="parameters"/> into a decayed group (coefficient
    /// <paramref name="weightDecay"/>) and an exempt group (0) by <paramref name="rule"/>.</summary>
    protected Optimizer(ParameterSet parameters, double learningRate, double weightDecay, WeightDecayRule? rule)
    {
        if (learningRate < 0 || !double.IsFinite(learningRate))
            throw new ArgumentException($"[optimizer] invalid learning rate {learningRate}");
        if (weightDecay < 0) throw new ArgumentException($"[optimizer] negative weight decay {weightDecay}");
        Parameters = parameters;
        LearningRate = learningRate;
        rule ??= WeightDecayRule.MambaDefault;
        var exempt = parameters.Where(p => rule.IsExempt(p.Name, p.Param)).ToList();
        var decayed = parameters.Where(p => !rule.IsExempt(p.Name, p.Param)).ToList();
        Groups = [new ParameterGroup("decay", decayed, weightDecay), new ParameterGroup("no_decay", exempt, 0)];
    }

    /// <summary>The optimised parameters.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The groups ("decay" and "no_decay", in that order).</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    /// <summary>Number of completed steps (1 during the first update's bias correction).</summary>
    public long StepCount { get; private set; }

    /// <summary>Short name stored in checkpoints ("adamw", "sgd").</summary>
    public abstract string Kind { get; }

    /// <summary>Names of the per-parameter state slots (e.g. exp_avg, exp_avg_sq).</summary>
    protected abstract IReadOnlyList<string> Slots { get; }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        foreach (var g in Groups)
            foreach (var p in g.Parameters)
            {
                if (p.Param.Grad is not { } grad) continue;
                if (!grad.Shape.AsSpan().SequenceEqual(p.Param.Shape))
                    throw new InvalidOperationException($"[{Kind}] gradient of '{p.Name}' is "
                        + $"{ShapeUtil.Format(grad.Shape)}, parameter is {ShapeUtil.Format(p.Param.Shape)}");
                var gc = grad.DType == p.Param.DType ? grad.Contiguous() : grad.Detach().To(p.Param.DType);
                Update(p, gc, g.WeightDecay, StepCount);
            }
    }

    /// <summary>Drops every gradient.</summary>
    public void ZeroGrad() => Parameters.ZeroGrad();

    /// <summary>Updates one parameter in place from its contiguous gradient (same dtype).</summary>
    protected abstract void Update(NamedParameter p, Tensor grad, double weightDecay, long step);

    /// <summary>The state tensor <paramref name="slot"/> of a parameter, created as zeros on first use, and
    /// whether it was just created.</summary>
    protected (Tensor Value, bool Created) State(string slot, NamedParameter p)
    {
        string key = slot + "." + p.Name;
        if (_state.TryGetValue(key, out var t)) return (t, false);
        t = Tensor.Zeros(p.Param.Shape, p.Param.DType);
        _state[key] = t;
        return (t, true);
    }

    /// <summary>A copy of the state: <c>step</c> (int64 [1]) and <c>{slot}.{parameter}</c> tensors, in
    /// parameter order.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> ExportState()
    {
        var list = new List<(string, Tensor)> { ("step", Tensor.FromArray(new[] { StepCount }, 1)) };
        foreach (var p in Parameters)
            foreach (var s in Slots)
                if (_state.TryGetValue(s + "." + p.Name, out var t))
                    list.Add((s + "." + p.Name, Tensor.Zeros(t.Shape, t.DType).CopyFrom(t)));
        return list;
    }

    /// <summary>Replaces the state with <paramref name="state"/> (as produced by <see cref="ExportState"/>):
    /// a <c>step</c> entry is required; every other entry must name a known slot and parameter with the
    /// parameter's shape. Values are copied and converted to the parameter's dtype.</summary>
    public void ImportState(IEnumerable<(string Name, Tensor Value)> state)
    {
        var fresh = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long? step = null;
        foreach (var (name, value) in state)
        {
            if (name == "step")
            {
                if (value.NumEl != 1) throw new ArgumentException($"[{Kind}] 'step' must hold one value");
                step = (long)value.ToDoubleArray()[0];
                continue;
            }
            int dot = name.IndexOf('.');
            string slot = dot > 0 ? name[..dot] : name, param = dot > 0 ? name[(dot + 1)..] : "";
            if (!Slots.Contains(slot))
                throw new ArgumentException($"[{Kind}] unknown state slot '{slot}' in '{name}'");
            if (!Parameters.Contains(param))
                throw new ArgumentException($"[{Kind}] state '{name}' names no parameter");
            var p = Parameters[param];
            if (!value.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new ArgumentException($"[{Kind}] state '{name}' is {ShapeUtil.Format(value.Shape)}, "
                    + $"parameter is {ShapeUtil.Format(p.Shape)}");
            fresh[name] = Tensor.Zeros(p.Shape, p.DType).CopyFrom(value);
        }
        if (step is null) throw new ArgumentException($"[{Kind}] state has no 'step' entry");
        if (step < 0) throw new ArgumentException($"[{Kind}] negative step {step}");
        _state.Clear();
        foreach (var kv in fresh) _state[kv.Key] = kv.Value;
        StepCount = step.Value;
    }
}
