using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Norm;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Gated, grouped RMSNorm (mamba_ssm layernorm_gated.py rms_norm_ref): with
    /// <paramref name="normBeforeGate"/> y = norm(x)·w·silu(z), otherwise y = norm(x·silu(z))·w (Mamba-2);
    /// norm over contiguous groups of <paramref name="groupSize"/> channels of the last dim (0 = all).
    /// x, z, y: (..., C); weight, bias: (C).</summary>
    public static Tensor GatedRmsNorm(Tensor x, Tensor weight, Tensor? bias = null, Tensor? z = null,
        bool normBeforeGate = true, int groupSize = 0, double eps = 1e-5)
    {
        const string op = "gated_rms_norm";
        if (x.Rank < 1) throw new ArgumentException($"[{op}] x must have at least one dim");
        int c = x.Shape[^1], rows = x.NumEl / Math.Max(c, 1);
        Expect(op, "weight", weight, c);
        Expect(op, "bias", bias, c);
        Expect(op, "z", z, x.Shape);
        if (groupSize < 0 || (groupSize > 0 && c % groupSize != 0))
            throw new ArgumentException($"[{op}] group size {groupSize} does not divide C={c}");
        var s = new RmsNormShape(rows, c, groupSize);
        var o = new RmsNormOptions(eps, normBeforeGate, Par.MaxThreads);
        if (x.Device.IsGpu()) return DeviceOps.RmsNorm(op, x, weight, bias, null, z, s, o).Y;
        float[] xs = Need(x), ws = Need(weight);
        float[]? bs = Floats(bias), zs = Floats(z);
        var y = new float[xs.Length];
        Kernels.Norm.RmsNorm.Cpu.Forward(s, xs, null, zs, ws, bs, y, null, o);
        return Record(Tensor.FromArray(y, x.Shape), op, [x, weight, bias, z], g =>
        {
            var dx = new float[xs.Length];
            var dw = new float[c];
            var db = bs is null ? null : new float[c];
            var dz = zs is null ? null : new float[xs.Length];
            Kernels.Norm.RmsNorm.Cpu.Backward(s, xs, null, zs, ws, bs, Need(g), null, dx, null, dz, dw, db, o);
            return [Grad(x, dx), Grad(weight, dw), Grad(bias, db), Grad(z, dz)];
        });
    }
}
