// Operator structs: one scalar function per struct, written over KernelMath so the reference loops, the CPU tail
// loops and the ILGPU kernels (which take the struct as a generic argument and call default(TOp).Apply) share it.
// Each struct also carries the float64 form used by the reference oracles.
namespace Ssm.Engine.Kernels.Common;

/// <summary>y = f(x).</summary>
public interface IUnaryOperator
{
    /// <summary>f in float32 (all backends).</summary>
    float Apply(float x);

    /// <summary>f in float64 (reference and gradient checks).</summary>
    double Apply(double x);
}

/// <summary>y = f(a, b).</summary>
public interface IBinaryOperator
{
    /// <summary>f in float32.</summary>
    float Apply(float a, float b);
}

/// <summary>An associative, commutative reduction with an identity: sum, max.</summary>
public interface IReduceOperator
{
    /// <summary>The value r with Apply(r, x) = x.</summary>
    float Identity { get; }

    /// <summary>Combines two partial results in float32.</summary>
    float Apply(float a, float b);

    /// <summary>Combines two partial results in float64 (reference).</summary>
    double Apply(double a, double b);
}

/// <summary>exp(x).</summary>
public readonly struct ExpOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => MathF.Exp(x);

    /// <inheritdoc/>
    public double Apply(double x) => Math.Exp(x);
}

/// <summary>sigmoid(x), <see cref="KernelMath.Sigmoid(float)"/>.</summary>
public readonly struct SigmoidOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => KernelMath.Sigmoid(x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.Sigmoid(x);
}

/// <summary>silu(x) = x · sigmoid(x), <see cref="KernelMath.Silu(float)"/>.</summary>
public readonly struct SiluOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => KernelMath.Silu(x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.Silu(x);
}

/// <summary>softplus(x) with the threshold of <see cref="KernelMath.Softplus(float)"/>.</summary>
public readonly struct SoftplusOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => KernelMath.Softplus(x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.Softplus(x);
}

/// <summary>a + b.</summary>
public readonly struct AddOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Apply(float a, float b) => a + b;
}

/// <summary>a · b.</summary>
public readonly struct MulOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Apply(float a, float b) => a * b;
}

/// <summary>Sum, identity 0.</summary>
public readonly struct SumReduction : IReduceOperator
{
    /// <inheritdoc/>
    public float Identity => 0f;

    /// <inheritdoc/>
    public float Apply(float a, float b) => a + b;

    /// <inheritdoc/>
    public double Apply(double a, double b) => a + b;
}

/// <summary>Maximum, identity −∞. A NaN operand propagates on the CPU; GPU max instructions may drop it.</summary>
public readonly struct MaxReduction : IReduceOperator
{
    /// <inheritdoc/>
    public float Identity => float.NegativeInfinity;

    /// <inheritdoc/>
    public float Apply(float a, float b) => MathF.Max(a, b);

    /// <inheritdoc/>
    public double Apply(double a, double b) => Math.Max(a, b);
}

/// <summary>−x.</summary>
public readonly struct NegOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => -x;

    /// <inheritdoc/>
    public double Apply(double x) => -x;
}

/// <summary>tanh(x).</summary>
public readonly struct TanhOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => MathF.Tanh(x);

    /// <inheritdoc/>
    public double Apply(double x) => Math.Tanh(x);
}

/// <summary>d silu / dx, <see cref="KernelMath.SiluGrad(float)"/>.</summary>
public readonly struct SiluGradOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => KernelMath.SiluGrad(x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.SiluGrad(x);
}

/// <summary>d softplus / dx, <see cref="KernelMath.SoftplusGrad(float)"/>.</summary>
public readonly struct SoftplusGradOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Apply(float x) => KernelMath.SoftplusGrad(x);

    /// <inheritdoc/>
    public double Apply(double x) => KernelMath.SoftplusGrad(x);
}

/// <summary>a − b.</summary>
public readonly struct SubOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Apply(float a, float b) => a - b;
}

/// <summary>a / b.</summary>
public readonly struct DivOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Apply(float a, float b) => a / b;
}
