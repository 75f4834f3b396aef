// Scalar math shared by every kernel implementation (Reference, Cpu tail loops and ILGPU kernels).
// ILGPU compiles reachable static methods and remaps MathF.Exp/Log, so one method serves all backends.
// Vectorised forms live next to the SIMD loops and must agree with these to float rounding.
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Common;

/// <summary>Elementwise scalar functions with the exact conventions of the reference code.</summary>
public static partial class KernelMath
{
    /// <summary>Threshold above which softplus returns its input (as torch and mamba_ssm do).</summary>
    public const float SoftplusThreshold = 20f;

    /// <summary>softplus(x) = log(1 + exp(x)), or x when x &gt; 20.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x) => x > SoftplusThreshold ? x : MathF.Log(1f + MathF.Exp(x));

    /// <summary>d softplus / dx = sigmoid(x), or 1 above the threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SoftplusGrad(float x) => x > SoftplusThreshold ? 1f : Sigmoid(x);

    /// <summary>softplus in float64 (reference loops and gradient checks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Softplus(double x) => x > SoftplusThreshold ? x : Math.Log(1.0 + Math.Exp(x));

    /// <summary>d softplus / dx in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SoftplusGrad(double x) => x > SoftplusThreshold ? 1.0 : Sigmoid(x);

    /// <summary>sigmoid(x) = 1 / (1 + exp(-x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>sigmoid in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>silu(x) = x · sigmoid(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x * Sigmoid(x);

    /// <summary>silu in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>d silu / dx = s · (1 + x · (1 − s)) with s = sigmoid(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluGrad(float x)
    {
        float s = Sigmoid(x);
        return s * (1f + x * (1f - s));
    }

    /// <summary>d silu / dx in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SiluGrad(double x)
    {
        double s = Sigmoid(x);
        return s * (1.0 + x * (1.0 - s));
    }
}
