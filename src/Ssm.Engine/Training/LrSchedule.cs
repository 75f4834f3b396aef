namespace Ssm.Engine.Training;

/// <summary>A learning rate per optimiser step. Steps count from 0 (the first update uses <c>At(0)</c>); the
/// schedule position is therefore the number of completed updates, which checkpoints store.</summary>
public interface ILrSchedule
{
    /// <summary>The learning rate of update number <paramref name="step"/> (0-based).</summary>
    double At(long step);
}

/// <summary>Linear warmup then cosine decay: for s &lt; W, lr = peak·(s+1)/W (so the first update is not
/// wasted and update W−1 reaches the peak); for W ≤ s ≤ T, lr = min + (peak − min)·(1 + cos(π·(s−W)/(T−W)))/2;
/// after T, lr = min.</summary>
public sealed record WarmupCosineSchedule : ILrSchedule
{
    /// <summary>Peak learning rate (reached at the end of warmup).</summary>
    public double PeakLearningRate { get; }
    /// <summary>Floor of the cosine.</summary>
    public double MinLearningRate { get; }
    /// <summary>Warmup length W in updates.</summary>
    public long WarmupSteps { get; }
    /// <summary>Total updates T (the cosine reaches the floor at step T).</summary>
    public long TotalSteps { get; }

    /// <summary>A warmup + cosine schedule; requires 0 ≤ W ≤ T and 0 ≤ min ≤ peak.</summary>
    public WarmupCosineSchedule(double peakLearningRate, long warmupSteps, long totalSteps, double minLearningRate = 0)
    {
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentException($"[lr_schedule] need 0 <= warmup ({warmupSteps}) <= total ({totalSteps})");
        if (minLearningRate < 0 || minLearningRate > peakLearningRate)
            throw new ArgumentException(
                $"[lr_schedule] need 0 <= min lr ({minLearningRate}) <= peak lr ({peakLearningRate})");
        (PeakLearningRate, WarmupSteps, TotalSteps, MinLearningRate) =
            (peakLearningRate, warmupSteps, totalSteps, minLearningRate);
    }

    /// <inheritdoc/>
    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"[lr_schedule] negative step {step}");
        if (step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        if (step >= TotalSteps) return MinLearningRate;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLearningRate + (PeakLearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>A constant learning rate after an optional linear warmup (lr·(s+1)/W for s &lt; W).</summary>
public sealed record ConstantSchedule : ILrSchedule
{
    /// <summary>The learning rate after warmup.</summary>
    public double LearningRate { get; }
    /// <summary>Warmup length in updates (0 = none).</summary>
    public long WarmupSteps { get; }

    /// <summary>A constant schedule.</summary>
    public ConstantSchedule(double learningRate, long warmupSteps = 0)
    {
        if (warmupSteps < 0) throw new ArgumentException($"[lr_schedule] negative warmup {warmupSteps}");
        (LearningRate, WarmupSteps) = (learningRate, warmupSteps);
    }

    /// <inheritdoc/>
    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"[lr_schedule] negative step {step}");
        return step < WarmupSteps ? LearningRate * (step + 1) / WarmupSteps : LearningRate;
    }
}
