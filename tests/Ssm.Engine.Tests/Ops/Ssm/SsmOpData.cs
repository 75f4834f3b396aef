using Ssm.Engine.Tensors;

namespace Ssm.Engine.Tests.Ops.Ssm;

/// <summary>Seeded inputs and float/double conversions shared by the fused SSM op tests.</summary>
internal static class SsmOpData
{
    public static Tensor Randn(int seed, double scale, params int[] shape) =>
        (Tensor.Randn(seed, shape) * scale).Detach().WithRequiresGrad();

    /// <summary>Negative A = -exp(0.5·N(0,1)), a stable decay.</summary>
    public static Tensor NegativeA(int seed, params int[] shape) =>
        (-ScalarExp(Tensor.Randn(seed, shape) * 0.5)).Detach().WithRequiresGrad();

    private static Tensor ScalarExp(Tensor t) => global::Ssm.Engine.Ops.F.Exp(t);

    public static double[] D(Tensor t) => t.ToDoubleArray();

    public static double[]? D(Tensor? t, bool present) => present && t is not null ? t.ToDoubleArray() : null;

    public static float[] Fl(Tensor t) => t.Contiguous().ToArray();

    /// <summary>Σ y ⊙ w: a loss whose gradient with respect to y is w.</summary>
    public static Tensor Dot(Tensor y, Tensor w) => global::Ssm.Engine.Ops.F.Sum(y * w);
}
