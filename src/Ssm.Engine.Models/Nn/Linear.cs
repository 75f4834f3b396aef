using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>y = x · Wᵀ (+ b): weight (out, in), bias (out). The weight may be BF16 (widened by the matmul).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>A layer with PyTorch's default U(±1/sqrt(in)) initialisation.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias, Init init)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        RegisterParameter("weight", init.FanIn(inFeatures, outFeatures, inFeatures));
        if (bias) RegisterParameter("bias", init.FanIn(inFeatures, outFeatures));
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }

    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <summary>weight: (out, in).</summary>
    public Tensor Weight => Param("weight");

    /// <summary>bias: (out), or null.</summary>
    public Tensor? Bias => HasParam("bias") ? Param("bias") : null;

    /// <summary>x: (..., in) → (..., out).</summary>
    public Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
