namespace Ssm.Engine.Training;

/// <summary>Thrown when the loss or a gradient stops being finite; names the step and the first offending
/// parameter (or "loss").</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>The optimiser step (0-based update index) at which the value was seen.</summary>
    public long Step { get; }

    /// <summary>"loss" or the name of the first parameter with a non-finite gradient.</summary>
    public string ParameterName { get; }

    /// <summary>The first non-finite value (NaN or ±∞).</summary>
    public double Value { get; }

    /// <summary>Flat index of the value inside the gradient (-1 for the loss).</summary>
    public int Index { get; }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(long step, string source, double value, int index)
        : base(index < 0
            ? $"[train] training diverged at step {step}: loss is {value}"
            : $"[train] training diverged at step {step}: gradient of '{source}' holds {value} at flat index {index}")
    {
        (Step, ParameterName, Value, Index) = (step, source, value, index);
    }
}

/// <summary>NaN/Inf checks of the loss and gradients.</summary>
public static class DivergenceGuard
{
    /// <summary>Throws <see cref="TrainingDivergedException"/> when <paramref name="loss"/> is not finite.</summary>
    public static void CheckLoss(long step, double loss)
    {
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(step, "loss", loss, -1);
    }

    /// <summary>Throws <see cref="TrainingDivergedException"/> naming the first parameter (in set order) whose
    /// gradient holds a NaN or infinity.</summary>
    public static void CheckGradients(long step, ParameterSet parameters)
    {
        foreach (var p in parameters)
        {
            if (p.Param.Grad is not { } g) continue;
            var v = g.ToDoubleArray();
            for (int i = 0; i < v.Length; i++)
                if (!double.IsFinite(v[i])) throw new TrainingDivergedException(step, p.Name, v[i], i);
        }
    }

    /// <summary>Checks a clipping result: the global norm is finite exactly when every gradient is, so the
    /// per-element scan runs only to name the culprit.</summary>
    public static void CheckGradients(long step, ParameterSet parameters, double globalNorm)
    {
        if (!double.IsFinite(globalNorm)) CheckGradients(step, parameters);
    }
}
