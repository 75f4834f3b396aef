using System.Numerics;
using System.Numerics.Tensors;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Ops;

/// <summary>GELU, tanh form: vectorised with TensorPrimitives (matches KernelMath.GeluTanh).</summary>
internal readonly struct GeluTanhOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, x, y);                                              // x²
        TensorPrimitives.Multiply(y, T.CreateChecked(KernelMath.GeluTanhCubic), y);
        TensorPrimitives.Add(y, T.One, y);                                               // 1 + c x²
        TensorPrimitives.Multiply(y, x, y);                                              // x + c x³
        TensorPrimitives.Multiply(y, T.CreateChecked(KernelMath.GeluTanhScale), y);
        TensorPrimitives.Tanh(y, y);
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Multiply(y, x, y);
        TensorPrimitives.Multiply(y, T.CreateChecked(0.5), y);
    }
}

/// <summary>Derivative of the tanh-form GELU.</summary>
internal readonly struct GeluTanhGradOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Backward of an activation the Mamba models do not use: the scalar form keeps one definition.
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateChecked(KernelMath.GeluTanhGrad(double.CreateChecked(x[i])));
    }
}

/// <summary>GELU, exact erf form (KernelMath.GeluErf).</summary>
internal readonly struct GeluErfOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // No vector erf exists in .NET; erf-GELU is off the Mamba hot path, so one scalar definition serves.
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateChecked(KernelMath.GeluErf(double.CreateChecked(x[i])));
    }
}

/// <summary>Derivative of the erf-form GELU.</summary>
internal readonly struct GeluErfGradOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Scalar for the same reason as GeluErfOp.
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateChecked(KernelMath.GeluErfGrad(double.CreateChecked(x[i])));
    }
}
