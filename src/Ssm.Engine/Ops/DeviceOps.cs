// The ILGPU side of the ops: F's elementwise, reduction and matmul entry points come here when an operand lives
// on an ILGPU device. Every op checks that its operands share one device, runs only on that device, and throws
// NotSupportedException naming op and device for anything not ported (there is no silent host fallback).
using ILGPU.Runtime;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.MatMul;
using Ssm.Engine.Tensors;
using DeviceRegistry = Ssm.Engine.Devices.DeviceRegistry;

namespace Ssm.Engine.Ops;

/// <summary>Device dispatch for float32 tensors on ILGPU devices (no autograd except where noted).</summary>
internal static class DeviceOps
{
    /// <summary>Throws <see cref="ArgumentException"/> "[op] operands are on X and Y" when devices differ.</summary>
    public static void SameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"[{op}] operands are on {a.Device} and {b.Device}; move one with " +
                                        ".To(device) first");
    }

    public static NotSupportedException Unsupported(string op, DeviceSpec device, string what = "") =>
        new($"[{op}] is not available on {device}{(what.Length > 0 ? ": " + what : "")}; " +
            "call .To(DeviceSpec.Cpu) to run it on the host");

    private static void CheckF32(string op, Tensor t, string name)
    {
        if (t.DType != DType.Float32)
            throw new NotSupportedException($"[{op}] {name} is {t.DType}; only float32 runs on {t.Device}");
    }

    /// <summary>y = f(x) elementwise, f chosen by the host operator type <typeparamref name="TOp"/>.</summary>
    public static Tensor Map<TOp>(string name, Tensor x) where TOp : struct, IUnaryOp
    {
        var dev = x.Device;
        CheckF32(name, x, "x");
        var gpu = DeviceRegistry.Get(dev);
        var y = Tensor.ZerosOn(dev, x.Shape.ToArray());
        ILGPU.ArrayView<float> xv = x.DeviceView(name), yv = y.DeviceView(name);
        var t = typeof(TOp);
        if (t == typeof(ExpOp)) Elementwise.Gpu.Map<ExpOperator>(gpu, xv, yv);
        else if (t == typeof(SigmoidOp)) Elementwise.Gpu.Map<SigmoidOperator>(gpu, xv, yv);
        else if (t == typeof(SiluOp)) Elementwise.Gpu.Map<SiluOperator>(gpu, xv, yv);
        else if (t == typeof(SoftplusOp)) Elementwise.Gpu.Map<SoftplusOperator>(gpu, xv, yv);
        else if (t == typeof(TanhOp)) Elementwise.Gpu.Map<TanhOperator>(gpu, xv, yv);
        else if (t == typeof(NegOp)) Elementwise.Gpu.Map<NegOperator>(gpu, xv, yv);
        else if (t == typeof(SiluGradOp)) Elementwise.Gpu.Map<SiluGradOperator>(gpu, xv, yv);
        else if (t == typeof(SoftplusGradOp)) Elementwise.Gpu.Map<SoftplusGradOperator>(gpu, xv, yv);
        else
        {
            y.Dispose();
            throw Unsupported(name, dev);
        }
        return y;
    }

    /// <summary>d = f(a, b) for same-shape operands (or one single-element operand, filled to the other's
    /// shape); f chosen by the host operator type <typeparamref name="TOp"/>.</summary>
    public static Tensor Zip<TOp>(string name, Tensor a, Tensor b) where TOp : struct, IBinaryOp
    {
        SameDevice(name, a, b);
        var dev = a.Device;
        CheckF32(name, a, "a");
        CheckF32(name, b, "b");
        int[] shape = ShapeUtil.Broadcast(name, a.Shape, b.Shape);
        var t = typeof(TOp);
        if (t != typeof(AddOp) && t != typeof(SubOp) && t != typeof(MulOp) && t != typeof(DivOp))
            throw Unsupported(name, dev);
        var gpu = DeviceRegistry.Get(dev);
        var af = Fill(name, a, shape, gpu);
        var bf = Fill(name, b, shape, gpu);
        try
        {
            var d = Tensor.ZerosOn(dev, shape);
            ILGPU.ArrayView<float> av = af.DeviceView(name), bv = bf.DeviceView(name), dv = d.DeviceView(name);
            if (t == typeof(AddOp)) Elementwise.Gpu.Zip<AddOperator>(gpu, av, bv, dv);
            else if (t == typeof(SubOp)) Elementwise.Gpu.Zip<SubOperator>(gpu, av, bv, dv);
            else if (t == typeof(MulOp)) Elementwise.Gpu.Zip<MulOperator>(gpu, av, bv, dv);
            else Elementwise.Gpu.Zip<DivOperator>(gpu, av, bv, dv);
            return d;
        }
        finally
        {
            if (!ReferenceEquals(af, a) || !ReferenceEquals(bf, b)) gpu.Synchronize();
            if (!ReferenceEquals(af, a)) af.Dispose();
            if (!ReferenceEquals(bf, b)) bf.Dispose();
        }
    }

    /// <summary>The operand itself when it already has <paramref name="shape"/>; a single element filled to the
    /// shape (through the host: one value down, the filled buffer up); anything else is not supported.</summary>
    private static Tensor Fill(string name, Tensor t, int[] shape, GpuDevice gpu)
    {
        if (t.Shape.AsSpan().SequenceEqual(shape)) return t;
        if (t.NumEl != 1)
            throw Unsupported(name, t.Device, $"broadcasting {ShapeUtil.Format(t.Shape)} to " +
                                              $"{ShapeUtil.Format(shape)} (only same shapes or one element)");
        var one = new float[1];
        gpu.Download(t.DeviceView(name), one);
        var filled = new float[ShapeUtil.NumEl(shape)];
        Array.Fill(filled, one[0]);
        return Tensor.FromArray(filled, shape.ToArray()).To(t.Device);
    }

    /// <summary>Sum or max over trailing axes (the last axis, or all of them): x viewed as (rows, cols).
    /// Backward: sum's is a broadcast, max's a tie-shared mask; both are computed on the host and copied back to
    /// the device (no device broadcast/compare kernel yet).</summary>
    public static Tensor Reduce(string op, Tensor x, int[] axes, bool keepDim, bool max)
    {
        var dev = x.Device;
        CheckF32(op, x, "x");
        var sorted = axes.Order().ToArray();
        int first = x.Rank - sorted.Length;
        for (int i = 0; i < sorted.Length; i++)
            if (sorted[i] != first + i)
                throw Unsupported(op, dev, $"axes {ShapeUtil.Format(axes)} of {ShapeUtil.Format(x.Shape)} " +
                                           "(only trailing axes reduce on the device)");
        if (max && x.NumEl == 0) throw new ArgumentException($"[{op}] empty tensor");
        int cols = 1;
        for (int i = first; i < x.Rank; i++) cols *= x.Shape[i];
        int rows = cols == 0 ? 0 : x.NumEl / cols;
        var kept = x.Shape.ToArray();
        for (int i = first; i < x.Rank; i++) kept[i] = 1;
        int[] outShape = keepDim ? kept : x.Shape[..first];
        var gpu = DeviceRegistry.Get(dev);
        var y = Tensor.ZerosOn(dev, outShape);
        ILGPU.ArrayView<float> xv = x.DeviceView(op), yv = y.DeviceView(op);
        if (max) Elementwise.Gpu.ReduceRows<MaxReduction>(gpu, xv, rows, cols, yv);
        else Elementwise.Gpu.ReduceRows<SumReduction>(gpu, xv, rows, cols, yv);
        int[] xs = x.Shape.ToArray();
        return Tape.Record(y, op, [x], g => [max ? MaxBackward(x, g, rows, cols) : SumBackward(g, rows, cols, xs)]);
    }

    private static Tensor SumBackward(Tensor g, int rows, int cols, int[] xs)
    {
        var gh = g.To(DeviceSpec.Cpu).Contiguous().ToArray();
        var o = new float[rows * cols];
        for (int r = 0; r < rows; r++) Array.Fill(o, gh[r], r * cols, cols);
        return Tensor.FromArray(o, xs).To(g.Device);
    }

    private static Tensor MaxBackward(Tensor x, Tensor g, int rows, int cols)
    {
        var xh = x.Detach().To(DeviceSpec.Cpu).ToArray();
        var gh = g.To(DeviceSpec.Cpu).Contiguous().ToArray();
        var o = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            var row = xh.AsSpan(r * cols, cols);
            float m = float.NegativeInfinity;
            foreach (float v in row) m = MathF.Max(m, v);
            int ties = 0;
            foreach (float v in row) if (v == m) ties++;
            for (int c = 0; c < cols; c++) if (row[c] == m) o[r * cols + c] = gh[r] / ties;
        }
        return Tensor.FromArray(o, x.Shape.ToArray()).To(g.Device);
    }

    /// <summary>2-D a (M, K) @ b (K, N) with <c>Gemm.Gpu.Sgemm</c>; transposed views (<c>w.MT</c>) pass as flags.
    /// Backward runs on the device through this same op.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        SameDevice("matmul", a, b);
        var dev = a.Device;
        CheckF32("matmul", a, "a");
        CheckF32("matmul", b, "b");
        if (a.Rank != 2 || b.Rank != 2)
            throw Unsupported("matmul", dev, $"operands {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} " +
                                             "(only 2-D operands on the device)");
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (b.Shape[0] != k)
            throw new ArgumentException(
                $"[matmul] shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} are incompatible");
        var (ta, lda) = F.Layout(a) ?? throw Unsupported("matmul", dev, "a non-contiguous, non-transposed view a");
        var (tb, ldb) = F.Layout(b) ?? throw Unsupported("matmul", dev, "a non-contiguous, non-transposed view b");
        var gpu = DeviceRegistry.Get(dev);
        var y = Tensor.ZerosOn(dev, [m, n]);
        if (m > 0 && n > 0 && k > 0)
            Gemm.Gpu.Sgemm(gpu, ta, tb, m, n, k, 1f, a.DeviceTail(), lda, b.DeviceTail(), ldb, 0f,
                y.DeviceView("matmul"), n);
        // A transposed operand (e.g. w.MT) gets its gradient as the transpose of a contiguous product, so the
        // transpose view's own backward hands its source a contiguous gradient (no device transpose kernel).
        return Tape.Record(y, "matmul", [a, b], g => [
            a.RequiresGrad ? (ta ? MatMul(b, g.MT).MT : MatMul(g, b.MT)) : null,
            b.RequiresGrad ? (tb ? MatMul(g.MT, a).MT : MatMul(a.MT, g)) : null]);
    }

    /// <summary>A fresh contiguous copy on the same device (device-to-device).</summary>
    public static Tensor Clone(Tensor x)
    {
        var y = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        var gpu = DeviceRegistry.Get(x.Device);
        if (x.NumEl > 0) x.DeviceView("clone").CopyTo(gpu.Stream, y.DeviceView("clone"));
        return y;
    }
}
