using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Whole-model gradient utilities: global norm and clipping.</summary>
public static class Gradients
{
    /// <summary>√(Σ g²) over every parameter gradient (missing gradients count as zero), in float64.
    /// NaN or infinity when any gradient holds one.</summary>
    public static double GlobalNorm(ParameterSet parameters)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            if (p.Param.Grad is not { } g) continue;
            var c = g.Contiguous();
            switch (c.DType)
            {
                case DType.Float32:
                    foreach (float v in c.Span<float>()) sum += (double)v * v;
                    break;
                case DType.Float64:
                    foreach (double v in c.Span<double>()) sum += v * v;
                    break;
                default:
                    foreach (double v in c.ToDoubleArray()) sum += v * v;
                    break;
            }
        }
        return Math.Sqrt(sum);
    }

    /// <summary>Scales all gradients in place so their global norm is at most <paramref name="maxNorm"/>
    /// (coefficient maxNorm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_) and returns the norm measured
    /// before clipping. Gradients are left untouched when the norm is within bounds or not finite.</summary>
    public static double ClipByGlobalNorm(ParameterSet parameters, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentException($"[clip_grad_norm] max norm must be > 0, got {maxNorm}");
        double norm = GlobalNorm(parameters);
        double coef = maxNorm / (norm + 1e-6);
        if (!double.IsFinite(norm) || coef >= 1) return norm;
        foreach (var p in parameters)
        {
            if (p.Param.Grad is not { } g) continue;
            p.Param.Grad = Scaled(g, coef);
        }
        return norm;
    }

    /// <summary>A fresh contiguous copy of <paramref name="g"/> multiplied by <paramref name="c"/> (gradients may
    /// share storage with tensors the graph still holds, so they are never scaled in place).</summary>
    private static Tensor Scaled(Tensor g, double c)
    {
        var src = g.Contiguous();
        switch (src.DType)
        {
            case DType.Float32:
            {
                var o = new float[src.NumEl];
                var s = src.Span<float>();
                for (int i = 0; i < o.Length; i++) o[i] = (float)(s[i] * c);
                return Tensor.FromArray(o, g.Shape);
            }
            case DType.Float64:
            {
                var o = new double[src.NumEl];
                var s = src.Span<double>();
                for (int i = 0; i < o.Length; i++) o[i] = s[i] * c;
                return Tensor.FromArray(o, g.Shape);
            }
            default:
            {
                var d = src.ToDoubleArray();
                for (int i = 0; i < d.Length; i++) d[i] *= c;
                return Tensor.FromArray(d, g.Shape).To(g.DType);
            }
        }
    }
}

/// <summary>Accumulates gradients over micro-batches: each <see cref="Backward"/> back-propagates
/// loss / <see cref="MicroBatches"/>, so after all micro-batches the gradients equal those of the mean loss over
/// the whole batch. Step the optimiser when <see cref="IsComplete"/>, then <see cref="Reset"/>.</summary>
public sealed class GradientAccumulator
{
    private readonly ParameterSet _parameters;

    /// <summary>An accumulator over <paramref name="microBatches"/> ≥ 1 micro-batches per update.</summary>
    public GradientAccumulator(ParameterSet parameters, int microBatches)
    {
        if (microBatches < 1) throw new ArgumentException($"[grad_accum] micro-batches {microBatches} < 1");
        _parameters = parameters;
        MicroBatches = microBatches;
    }

    /// <summary>Micro-batches per update.</summary>
    public int MicroBatches { get; }

    /// <summary>Micro-batches accumulated since the last <see cref="Reset"/>.</summary>
    public int Count { get; private set; }

    /// <summary>True when <see cref="MicroBatches"/> micro-batches have been accumulated.</summary>
    public bool IsComplete => Count == MicroBatches;

    /// <summary>Mean of the (unscaled) micro-batch losses seen since the last reset.</summary>
    public double MeanLoss => Count == 0 ? double.NaN : _lossSum / Count;

    private double _lossSum;

    /// <summary>Back-propagates <paramref name="loss"/> / <see cref="MicroBatches"/> (a scalar) into the
    /// parameters' gradients and returns the unscaled loss value.</summary>
    public double Backward(Tensor loss)
    {
        if (IsComplete) throw new InvalidOperationException(
            $"[grad_accum] already holds {MicroBatches} micro-batches; step the optimiser and Reset()");
        if (loss.NumEl != 1)
            throw new ArgumentException($"[grad_accum] loss {ShapeUtil.Format(loss.Shape)} is not a scalar");
        double value = loss.Item();
        (MicroBatches == 1 ? loss : loss / MicroBatches).Backward();
        Count++;
        _lossSum += value;
        return value;
    }

    /// <summary>Clears gradients and the count for the next update.</summary>
    public void Reset()
    {
        _parameters.ZeroGrad();
        Count = 0;
        _lossSum = 0;
    }
}
