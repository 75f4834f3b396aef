using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>Gated, grouped RMSNorm of Mamba-2 (norm(x·silu(z)) per group when not
/// <see cref="NormBeforeGate"/>).</summary>
public sealed class GatedRmsNorm : Module
{
    /// <summary>A norm of <paramref name="dim"/> channels in groups of <paramref name="groupSize"/>.</summary>
    public GatedRmsNorm(int dim, int groupSize, bool normBeforeGate = false, double eps = 1e-5)
    {
        GroupSize = groupSize;
        NormBeforeGate = normBeforeGate;
        Eps = eps;
        RegisterParameter("weight", Tensor.Ones(dim));
    }

    /// <summary>Channels per normalised group.</summary>
    public int GroupSize { get; }

    /// <summary>True: norm(x)·silu(z); false: norm(x·silu(z)).</summary>
    public bool NormBeforeGate { get; }

    /// <summary>Added to mean(v²).</summary>
    public double Eps { get; }

    /// <summary>weight: (D).</summary>
    public Tensor Weight => Param("weight");

    /// <summary>x, z: (..., D).</summary>
    public Tensor Forward(Tensor x, Tensor? z) => F.GatedRmsNorm(x, Weight, null, z, NormBeforeGate, GroupSize, Eps);
}
