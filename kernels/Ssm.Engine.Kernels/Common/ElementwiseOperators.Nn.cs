// Operator structs of the norm and activation ops that run on devices (RMSNorm / LayerNorm composed from
// elementwise ops need rsqrt; GELU and its derivative back the GatedCNN block). Same contract as
// ElementwiseOperators.cs: one scalar function per struct over KernelMath.
namespace Ssm.Engine.Kernels.Common;

/// <summary>1 / √x.</summary>
public readonly struct RsqrtOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => 1f / MathF.Sqrt(x);

    /// <inheritdoc/>
    public double Apply(double x) => 1.0 / Math.Sqrt(x);
}

/// <summary>gelu(x) = x · Φ(x), <see cref="KernelMath.GeluErf(double)"/> (evaluated in float64).</summary>
public readonly struct GeluErfOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => (float)KernelMath.GeluErf((double)x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.GeluErf(x);
}

/// <summary>d gelu / dx, <see cref="KernelMath.GeluErfGrad(double)"/> (evaluated in float64).</summary>
public readonly struct GeluErfGradOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => (float)KernelMath.GeluErfGrad((double)x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.GeluErfGrad(x);
}
