using Ssm.Engine.Models.Nn;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>SSM parameter initialisations shared by the vision mixers (upstream <c>dt_init</c> / <c>A_log_init</c>).
/// </summary>
public static class VisionInit
{
    /// <summary>dt bias = softplus⁻¹(dt), dt = exp(U(log 0.001, log 0.1)) (≥ 1e-4), of the given shape.</summary>
    public static Tensor DtBias(Init init, params int[] shape)
    {
        var u = init.Uniform(Math.Log(1e-3), Math.Log(0.1), shape).ToArray();
        var v = new float[u.Length];
        for (int i = 0; i < u.Length; i++)
        {
            double dt = Math.Max(Math.Exp(u[i]), 1e-4);
            v[i] = (float)(dt + Math.Log(1 - Math.Exp(-dt)));                      // softplus⁻¹(dt)
        }
        return Tensor.FromArray(v, shape);
    }

    /// <summary>A_log (rows, N) with row values log(1..N) (S4D-real).</summary>
    public static Tensor ALogs(int rows, int dState)
    {
        var a = new float[rows * dState];
        for (int i = 0; i < rows; i++)
            for (int n = 0; n < dState; n++) a[i * dState + n] = MathF.Log(n + 1);
        return Tensor.FromArray(a, rows, dState);
    }
}
