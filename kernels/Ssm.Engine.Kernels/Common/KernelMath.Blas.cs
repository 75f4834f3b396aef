// BLAS-style epilogue shared by the GEMM/GEMV kernels of every backend.
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Common;

public static partial class KernelMath
{
    /// <summary>alpha · acc + beta · c, where beta = 0 ignores <paramref name="c"/> entirely (BLAS convention: an
    /// uninitialised output holding NaN or Inf must not leak into the result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Axpby(float alpha, float acc, float beta, float c) =>
        beta == 0f ? alpha * acc : alpha * acc + beta * c;
}
