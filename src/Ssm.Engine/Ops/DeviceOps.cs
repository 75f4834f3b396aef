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
internal static partial class DeviceOps
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
        var xd = Dense(name, x);
        ILGPU.ArrayView<float> xv = xd.DeviceView(name), yv = y.DeviceView(name);
        using var _ = Temporary(gpu, x, xd);
        var t = typeof(TOp);
        if (t == typeof(ExpOp)) Elementwise.Gpu.Map<ExpOperator>(gpu, xv, yv);
        else if (t == typeof(SigmoidOp)) Elementwise.Gpu.Map<SigmoidOperator>(gpu, xv, yv);
        else if (t == typeof(SiluOp)) Elementwise.Gpu.Map<SiluOperator>(gpu, xv, yv);
        else if (t == typeof(SoftplusOp)) Elementwise.Gpu.Map<SoftplusOperator>(gpu, xv, yv);
        else if (t == typeof(TanhOp)) Elementwise.Gpu.Map<TanhOperator>(gpu, xv, yv);
        else if (t == typeof(NegOp)) Elementwise.Gpu.Map<NegOperator>(gpu, xv, yv);
        else if (t == typeof(SiluGradOp)) Elementwise.Gpu.Map<SiluGradOperator>(gpu, xv, yv);
        else if (t == typeof(SoftplusGradOp)) Elementwise.Gpu.Map<SoftplusGradOperator>(gpu, xv, yv);
        else if (t == typeof(RsqrtOp)) Elementwise.Gpu.Map<RsqrtOperator>(gpu, xv, yv);
        else if (t == typeof(GeluErfOp)) Elementwise.Gpu.Map<GeluErfOperator>(gpu, xv, yv);
        else if (t == typeof(GeluErfGradOp)) Elementwise.Gpu.Map<GeluErfGradOperator>(gpu, xv, yv);
        else
        {
            y.Dispose();
            throw Unsupported(name, dev);
        }
        return y;
    }

    /// <summary>d = f(a, b) with numpy broadcasting: an operand of another shape is expanded (stride 0) and copied
    /// to the result shape on the device; f chosen by the host operator type <typeparamref name="TOp"/>.</summary>
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
        var af = Broadcast(name, a, shape);
        var bf = Broadcast(name, b, shape);
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
            using (Temporary(gpu, a, af))
            using (Temporary(gpu, b, bf)) { }
        }
    }

    /// <summary>Sum or max over <paramref name="axes"/>: x viewed as (rows, cols) with the reduced axes last
    /// (a permuted copy on the device when they are not the trailing ones; max only reduces trailing axes).
    /// Backward on the device: sum's is the gradient broadcast back over the reduced axes, max's a tie-shared mask
    /// (computed on the host, as no device compare kernel exists yet).</summary>
    public static Tensor Reduce(string op, Tensor x, int[] axes, bool keepDim, bool max)
    {
        var dev = x.Device;
        CheckF32(op, x, "x");
        var sorted = axes.Order().ToArray();
        int first = x.Rank - sorted.Length;
        bool trailing = true;
        for (int i = 0; i < sorted.Length; i++) trailing &= sorted[i] == first + i;
        if (!trailing && max)
            throw Unsupported(op, dev, $"axes {ShapeUtil.Format(axes)} of {ShapeUtil.Format(x.Shape)} " +
                                       "(max reduces only trailing axes on the device)");
        if (max && x.NumEl == 0) throw new ArgumentException($"[{op}] empty tensor");
        int[] order = [.. Enumerable.Range(0, x.Rank).Where(a => !sorted.Contains(a)), .. sorted];
        int cols = 1;
        foreach (int a in sorted) cols *= x.Shape[a];
        int rows = cols == 0 ? 0 : x.NumEl / cols;
        var kept = x.Shape.ToArray();
        foreach (int a in sorted) kept[a] = 1;
        int[] outShape = keepDim ? kept : order[..^sorted.Length].Select(a => x.Shape[a]).ToArray();
        var gpu = DeviceRegistry.Get(dev);
        var y = Tensor.ZerosOn(dev, outShape);
        var xd = Dense(op, trailing ? x.Detach() : x.Detach().Permute(order));
        ILGPU.ArrayView<float> xv = xd.DeviceView(op), yv = y.DeviceView(op);
        using var _ = Temporary(gpu, x, xd);
        if (max) Elementwise.Gpu.ReduceRows<MaxReduction>(gpu, xv, rows, cols, yv);
        else Elementwise.Gpu.ReduceRows<SumReduction>(gpu, xv, rows, cols, yv);
        int[] xs = x.Shape.ToArray();
        return Tape.Record(y, op, [x], g => [max ? MaxBackward(x, g, rows, cols) : SumBackward(g, kept, xs)]);
    }

    /// <summary>The gradient of a sum: g (reduced shape) broadcast back to x's shape, copied on the device.
    /// </summary>
    private static Tensor SumBackward(Tensor g, int[] kept, int[] xs) =>
        Dense("sum", g.Detach().Reshape(kept).ExpandInternal(xs));

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

    /// <summary>a (..., M, K) @ b (..., K, N) with <c>Gemm.Gpu.Sgemm</c>. 2-D operands: transposed views
    /// (<c>w.MT</c>) pass as flags, other strided views are copied dense on the device; backward on the device
    /// through this same op. Higher ranks (inference only): a 2-D right operand folds the batch into M (one GEMM,
    /// the <c>Linear</c> case); otherwise both operands are broadcast to the batch shape, made contiguous on the
    /// device and multiplied one batch entry at a time.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        SameDevice("matmul", a, b);
        var dev = a.Device;
        CheckF32("matmul", a, "a");
        CheckF32("matmul", b, "b");
        if (a.Rank < 2 || b.Rank < 2)
            throw Unsupported("matmul", dev, $"operands {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} " +
                                             "(1-D operands are not supported on the device)");
        if (b.Shape[^2] != a.Shape[^1])
            throw new ArgumentException(
                $"[matmul] shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} are incompatible");
        if (a.Rank > 2 || b.Rank > 2) return BatchedMatMul(a, b);
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var ad = F.Layout(a) is null ? Dense("matmul", a) : a;
        var bd = F.Layout(b) is null ? Dense("matmul", b) : b;
        var (ta, lda) = F.Layout(ad)!.Value;
        var (tb, ldb) = F.Layout(bd)!.Value;
        var gpu = DeviceRegistry.Get(dev);
        var y = Tensor.ZerosOn(dev, [m, n]);
        if (m > 0 && n > 0 && k > 0)
        {
            if (m <= GemvRows && !ta) RowsByGemv(gpu, m, n, k, ad.DeviceTail(), lda, tb, bd.DeviceTail(), ldb, y);
            else
                Gemm.Gpu.Sgemm(gpu, ta, tb, m, n, k, 1f, ad.DeviceTail(), lda, bd.DeviceTail(), ldb, 0f,
                    y.DeviceView("matmul"), n);
        }
        using (Temporary(gpu, a, ad))
        using (Temporary(gpu, b, bd)) { }
        // A transposed operand (e.g. w.MT) gets its gradient as the transpose of a contiguous product, so the
        // transpose view's own backward hands its source a contiguous gradient (no device transpose kernel).
        return Tape.Record(y, "matmul", [a, b], g => [
            a.RequiresGrad ? (ta ? MatMul(b, g.MT).MT : MatMul(g, b.MT)) : null,
            b.RequiresGrad ? (tb ? MatMul(g.MT, a).MT : MatMul(a.MT, g)) : null]);
    }

    /// <summary>Up to this many rows of a (decode steps: one row per sequence) are multiplied row by row with
    /// <c>Gemm.Gpu.Sgemv</c>: one thread per output and no group barriers, where the tiled GEMM would launch
    /// mostly empty tiles.</summary>
    private const int GemvRows = 4;

    /// <summary>y[i, :] = op(B)ᵀ a[i, :] for each row i: op(B) is (K, N), so op(B)ᵀ is B itself read transposed
    /// (B stored (K, N)) or the stored (N, K) matrix of a transposed view.</summary>
    private static void RowsByGemv(GpuDevice gpu, int m, int n, int k, ILGPU.ArrayView<float> a, int lda, bool tb,
        ILGPU.ArrayView<float> b, int ldb, Tensor y)
    {
        var yv = y.DeviceView("matmul");
        for (int i = 0; i < m; i++)
            Gemm.Gpu.Sgemv(gpu, !tb, n, k, 1f, b, ldb, a.SubView(i * lda, k), 0f, yv.SubView(i * n, n));
    }

    /// <summary>Batched product; differentiable. A 2-D right operand folds the batch into M both ways (the
    /// weight gradient is one (K, count·M) @ (count·M, N) GEMM); broadcast operands get their gradients summed
    /// back over the broadcast batch dims.</summary>
    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        var y = BatchedProduct(a.Detach(), b.Detach());
        int[] sa = a.Shape, sb = b.Shape;
        return Tape.Record(y, "matmul", [a, b], g =>
        {
            if (b.Rank == 2)
            {
                int k = sa[^1], n = sb[1], rows = ShapeUtil.NumEl(sa) / Math.Max(1, k);
                return [a.RequiresGrad ? BatchedProduct(g, b.Detach().MT) : null,
                    b.RequiresGrad ? MatMul(a.Detach().Reshape(rows, k).MT, g.Reshape(rows, n)) : null];
            }
            return [a.RequiresGrad ? F.SumTo(BatchedProduct(g, b.Detach().MT), sa) : null,
                b.RequiresGrad ? F.SumTo(BatchedProduct(a.Detach().MT, g), sb) : null];
        });
    }

    private static Tensor BatchedProduct(Tensor a, Tensor b)
    {
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        int[] batch;
        try { batch = ShapeUtil.Broadcast("matmul", a.Shape[..^2], b.Shape[..^2]); }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"[matmul] batch dims of {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} " +
                "cannot be broadcast");
        }
        int count = ShapeUtil.NumEl(batch);
        if (b.Rank == 2)
        {
            var dense = Dense("matmul", a);
            var folded = MatMul(dense.Reshape(count * m, k), b).Reshape([.. batch, m, n]);
            using (Temporary(DeviceRegistry.Get(a.Device), a, dense)) { }
            return folded;
        }
        var gpu = DeviceRegistry.Get(a.Device);
        var ad = Broadcast("matmul", a, [.. batch, m, k]);
        var bd = Broadcast("matmul", b, [.. batch, k, n]);
        var y = Tensor.ZerosOn(a.Device, [.. batch, m, n]);
        ILGPU.ArrayView<float> av = ad.DeviceView("matmul"), bv = bd.DeviceView("matmul"), yv = y.DeviceView("matmul");
        if (m > 0 && n > 0 && k > 0)
            for (int i = 0; i < count; i++)
                Gemm.Gpu.Sgemm(gpu, false, false, m, n, k, 1f, av.SubView(i * m * k, m * k), k,
                    bv.SubView(i * k * n, k * n), n, 0f, yv.SubView(i * m * n, m * n), n);
        using (Temporary(gpu, a, ad))
        using (Temporary(gpu, b, bd)) { }
        return y;
    }

    /// <summary>Frees <paramref name="copy"/> (after the stream drains) when it is a temporary made from
    /// <paramref name="original"/>; nothing when it is the original itself.</summary>
    public static IDisposable? Temporary(GpuDevice gpu, Tensor original, Tensor copy) =>
        ReferenceEquals(original.Storage, copy.Storage) ? null : new TemporaryCopy(gpu, copy);

    private sealed class TemporaryCopy(GpuDevice gpu, Tensor copy) : IDisposable
    {
        public void Dispose()
        {
            gpu.Synchronize();
            copy.Dispose();
        }
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
