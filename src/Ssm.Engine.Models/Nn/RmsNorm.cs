using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>RMSNorm over the last dim with an optional fused residual add (mamba_ssm's fused_add_norm).</summary>
public sealed class RmsNorm : Module
{
    /// <summary>A norm of <paramref name="dim"/> channels, weight 1.</summary>
    public RmsNorm(int dim, double eps = 1e-5)
    {
        Eps = eps;
        RegisterParameter("weight", Tensor.Ones(dim));
    }

    /// <summary>Added to mean(x²).</summary>
    public double Eps { get; }

    /// <summary>weight: (D).</summary>
    public Tensor Weight => Param("weight");

    /// <summary>y = rmsnorm(x).</summary>
    public Tensor Forward(Tensor x) => F.RmsNormFused(x, Weight, null, null, Eps).Y;

    /// <summary>s = x + residual (x alone when residual is null); returns (rmsnorm(s), s).</summary>
    public (Tensor Y, Tensor Residual) Forward(Tensor x, Tensor? residual) =>
        F.RmsNormFused(x, Weight, null, residual, Eps);
}
