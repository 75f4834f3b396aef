using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>LayerNorm over the last dim with weight (ones) and bias (zeros): <c>weight</c>, <c>bias</c>.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>A norm over <paramref name="dim"/> features.</summary>
    public LayerNorm(int dim, double eps = 1e-5)
    {
        Eps = eps;
        RegisterParameter("weight", Tensor.Ones(dim));
        RegisterParameter("bias", Tensor.Zeros([dim]));
    }

    /// <summary>The variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>x: (..., dim) → (..., dim).</summary>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, Param("weight"), Param("bias"), Eps);
}
