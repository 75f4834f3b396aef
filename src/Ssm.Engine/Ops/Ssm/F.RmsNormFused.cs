using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Norm;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Fused residual-add RMSNorm (<see cref="Kernels.Norm.RmsNorm"/>, mamba_ssm layer_norm.py
    /// rms_norm_fn): s = x + residual, y = s / sqrt(mean(s²) + eps) · weight (+ bias), over the last dim.
    /// x, residual, y, residualOut: (..., C); weight, bias: (C). Returns y and residualOut = s (x itself when
    /// there is no residual); both are differentiable.</summary>
    public static (Tensor Y, Tensor ResidualOut) RmsNormFused(Tensor x, Tensor weight, Tensor? bias = null,
        Tensor? residual = null, double eps = 1e-5)
    {
        const string op = "rms_norm_fused";
        if (x.Rank < 1) throw new ArgumentException($"[{op}] x must have at least one dim");
        int c = x.Shape[^1], rows = x.NumEl / Math.Max(c, 1);
        Expect(op, "weight", weight, c);
        Expect(op, "bias", bias, c);
        Expect(op, "residual", residual, x.Shape);
        var s = new RmsNormShape(rows, c);
        var o = new RmsNormOptions(eps, Threads: Par.MaxThreads);
        if (x.Device.IsGpu()) return DeviceOps.RmsNorm(op, x, weight, bias, residual, null, s, o);
        float[] xs = Need(x), ws = Need(weight);
        float[]? bs = Floats(bias), rs = Floats(residual);
        var y = new float[xs.Length];
        var res = new float[rs is null ? 0 : xs.Length];
        Kernels.Norm.RmsNorm.Cpu.Forward(s, xs, rs, null, ws, bs, y, res, o);
        Tensor?[] inputs = [x, weight, bias, residual];
        Func<float[], float[]?, Tensor?[]> backward = (dy, dRes) =>
        {
            var dx = new float[xs.Length];
            var dw = new float[c];
            var db = bs is null ? null : new float[c];
            var dr = rs is null ? null : new float[xs.Length];
            Kernels.Norm.RmsNorm.Cpu.Backward(s, xs, rs, null, ws, bs, dy, dRes, dx, dr, null, dw, db, o);
            if (rs is null && dRes is not null) // residual_out is x itself
                for (int i = 0; i < dx.Length; i++) dx[i] += dRes[i];
            return [Grad(x, dx), Grad(weight, dw), Grad(bias, db), Grad(residual, dr)];
        };
        var yt = Record(Tensor.FromArray(y, x.Shape), op, inputs, g => backward(Need(g), null));
        if (rs is null) return (yt, x);
        var rt = Record(Tensor.FromArray(res, x.Shape), op + "_residual", inputs,
            g => backward(new float[xs.Length], Need(g)));
        return (yt, rt);
    }
}
