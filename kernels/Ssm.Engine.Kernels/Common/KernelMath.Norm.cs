// Normalisation scalars shared by the RmsNorm Cpu and Gpu paths (one formula, so both round alike).
using System.Runtime.CompilerServices;

namespace Ssm.Engine.Kernels.Common;

public static partial class KernelMath
{
    /// <summary>1 / sqrt(sumOfSquares / count + eps), evaluated in float64 and rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float InvRms(float sumOfSquares, int count, double eps) =>
        (float)(1.0 / Math.Sqrt(sumOfSquares / (double)count + eps));
}
