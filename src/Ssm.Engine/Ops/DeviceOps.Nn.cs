// Softmax and the fused norms on ILGPU devices (inference only: no backward is ported for the norms).
using ILGPU;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Norm;
using Ssm.Engine.Tensors;
using DeviceRegistry = Ssm.Engine.Devices.DeviceRegistry;

namespace Ssm.Engine.Ops;

internal static partial class DeviceOps
{
    /// <summary>Device operands of one kernel call: dense views of the inputs (copied on the device when they
    /// are strided views) and the copies to free once the call is done.</summary>
    internal sealed class Operands(string op, GpuDevice gpu) : IDisposable
    {
        private readonly List<Tensor> temps = [];

        /// <summary>The dense device view of <paramref name="t"/>; an empty view when it is null.</summary>
        public ArrayView<float> View(Tensor? t)
        {
            if (t is null) return ArrayView<float>.Empty;
            CheckF32(op, t, "operand");
            var d = Dense(op, t.Detach());
            if (!ReferenceEquals(d.Storage, t.Storage)) temps.Add(d);
            return d.DeviceView(op);
        }

        /// <summary>Waits for the stream, then frees the copies.</summary>
        public void Dispose()
        {
            if (temps.Count == 0) return;
            gpu.Synchronize();
            foreach (var t in temps) t.Dispose();
        }
    }

    /// <summary>Checks that every present operand lives on the device of <paramref name="first"/> and that
    /// autograd does not need a backward, and returns the device.</summary>
    internal static GpuDevice Prepare(string op, Tensor first, params Tensor?[] rest)
    {
        foreach (var t in rest)
            if (t is not null) SameDevice(op, first, t);
        RequireNoGrad(op, [first, .. rest]);
        return DeviceRegistry.Get(first.Device);
    }

    /// <summary>Softmax over the last axis: row max, subtract, exp, row sum, divide (no autograd here; the caller
    /// records its usual backward).</summary>
    public static Tensor Softmax(Tensor x)
    {
        const string op = "softmax";
        CheckF32(op, x, "x");
        var gpu = DeviceRegistry.Get(x.Device);
        int n = x.Shape[^1], rows = n == 0 ? 0 : x.NumEl / n;
        var y = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        if (x.NumEl == 0) return y;
        using var operands = new Operands(op, gpu);
        ArrayView<float> xv = operands.View(x), yv = y.DeviceView(op);
        using var m = Tensor.ZerosOn(x.Device, [rows, 1]);
        Elementwise.Gpu.ReduceRows<MaxReduction>(gpu, xv, rows, n, m.DeviceView(op));
        using var mb = Broadcast(op, m, [rows, n]);
        Elementwise.Gpu.Zip<SubOperator>(gpu, xv, mb.DeviceView(op), yv);
        Elementwise.Gpu.Map<ExpOperator>(gpu, yv, yv);
        using var sum = Tensor.ZerosOn(x.Device, [rows, 1]);
        Elementwise.Gpu.ReduceRows<SumReduction>(gpu, yv, rows, n, sum.DeviceView(op));
        using var sb = Broadcast(op, sum, [rows, n]);
        Elementwise.Gpu.Zip<DivOperator>(gpu, yv, sb.DeviceView(op), yv);
        return y;
    }

    /// <summary>RMSNorm over the last dim with the optional residual add (returns s = x + residual, or x itself),
    /// gate z and channel groups, as <c>RmsNorm.Gpu.Forward</c>. Inference only.</summary>
    public static (Tensor Y, Tensor ResidualOut) RmsNorm(string op, Tensor x, Tensor weight, Tensor? bias,
        Tensor? residual, Tensor? z, RmsNormShape s, RmsNormOptions o)
    {
        var gpu = Prepare(op, x, weight, bias, residual, z);
        var y = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        var res = residual is null ? null : Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        using (var v = new Operands(op, gpu))
            Kernels.Norm.RmsNorm.Gpu.Forward(gpu, s, v.View(x), v.View(residual), v.View(z), v.View(weight),
                v.View(bias), y.DeviceView(op), res is null ? ArrayView<float>.Empty : res.DeviceView(op), o);
        return (y, res ?? x);
    }
}
