using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>Seeded parameter initialisation (PyTorch defaults); one generator per model so that a seed
/// reproduces the whole model.</summary>
public sealed class Init(int seed)
{
    private readonly Random _rng = new(seed);

    /// <summary>U(low, high) values of the given shape.</summary>
    public Tensor Uniform(double low, double high, params int[] shape)
    {
        var data = new float[ShapeUtil.NumEl(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(low + (high - low) * _rng.NextDouble());
        return Tensor.FromArray(data, shape);
    }

    /// <summary>N(0, std²) values of the given shape.</summary>
    public Tensor Normal(double std, params int[] shape)
    {
        var data = new float[ShapeUtil.NumEl(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
            data[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Kaiming-uniform bound of a layer with <paramref name="fanIn"/> inputs: 1/sqrt(fan_in).</summary>
    public Tensor FanIn(int fanIn, params int[] shape)
    {
        double b = 1.0 / Math.Sqrt(Math.Max(fanIn, 1));
        return Uniform(-b, b, shape);
    }
}
