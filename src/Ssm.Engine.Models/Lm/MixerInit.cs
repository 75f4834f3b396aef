using Ssm.Engine.Models.Nn;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>Upstream initialisation of the SSM parameters, and a float32 view helper.</summary>
internal static class MixerInit
{
    /// <summary>dt = exp(U(log 0.001, log 0.1)) clamped at 1e-4; returns softplus⁻¹(dt) = dt + log(1 - exp(-dt)).
    /// </summary>
    public static Tensor DtBias(Init init, int n)
    {
        var u = init.Uniform(Math.Log(1e-3), Math.Log(1e-1), n).ToArray();
        var b = new float[n];
        for (int i = 0; i < n; i++)
        {
            double dt = Math.Max(Math.Exp(u[i]), 1e-4);
            b[i] = (float)(dt + Math.Log(1 - Math.Exp(-dt)));
        }
        return Tensor.FromArray(b, n);
    }

    /// <summary>The tensor as float32 (BF16/F16 parameters are widened).</summary>
    public static Tensor Fp32(Tensor t) => t.DType == DType.Float32 ? t : t.To(DType.Float32);
}
