using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>Token embedding table: weight (V, D), rows N(0, 0.02).</summary>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="count"/> rows of <paramref name="dim"/> values.</summary>
    public Embedding(int count, int dim, Init init) =>
        RegisterParameter("weight", init.Normal(0.02, count, dim));

    /// <summary>weight: (V, D).</summary>
    public Tensor Weight => Param("weight");

    /// <summary>ids (...) integer → (..., D) float32.</summary>
    public Tensor Forward(Tensor ids)
    {
        var y = F.Embedding(Weight, ids);
        return y.DType == DType.Float32 ? y : y.To(DType.Float32);
    }
}
