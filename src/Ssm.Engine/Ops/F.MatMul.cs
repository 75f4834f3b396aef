using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.MatMul;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Matrix product with torch semantics: (..., M, K) @ (..., K, N) → (..., M, N), batch dims
    /// broadcast; a 1-D operand is treated as a row (left) or column (right) vector and its dim dropped.
    /// Float32 runs on <c>Gemm.Cpu.Sgemm</c>; operands that are transposed views (e.g. <c>w.MT</c>)
    /// are passed with the transpose flags instead of being copied. BFloat16/Float16 operands are widened
    /// to float32. Float64 uses plain loops (gradient checks).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Device.IsGpu() || b.Device.IsGpu()) return DeviceOps.MatMul(a, b);
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException(
                $"[matmul] scalar operands {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        if (a.Rank == 1) return MatMul(a.Unsqueeze(0), b).Squeeze(-2);
        if (b.Rank == 1) return MatMul(a, b.Unsqueeze(-1)).Squeeze(-1);
        if (a.DType is DType.BFloat16 or DType.Float16) a = Cast(a, DType.Float32);
        if (b.DType is DType.BFloat16 or DType.Float16) b = Cast(b, DType.Float32);
        ElementwiseDriver.CheckSameDType("matmul", a, b);
        ElementwiseDriver.CheckFloat("matmul", a);
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
            throw new ArgumentException(
                $"[matmul] shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} are incompatible");
        int[] batch;
        try { batch = ShapeUtil.Broadcast("matmul", a.Shape[..^2], b.Shape[..^2]); }
        catch (ArgumentException) {
            throw new ArgumentException(
                $"[matmul] batch dims of {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} " +
                "cannot be broadcast");
        }
        var y = Tensor.Zeros([.. batch, m, n], a.DType);
        if (y.NumEl > 0)
        {
            if (a.DType == DType.Float32) MatMulF32(a, b, y, batch, m, n, k);
            else MatMulF64(a.Materialize(), b.Materialize(), y, batch, m, n, k);
        }
        int[] sa = a.Shape, sb = b.Shape;
        return Tape.Record(y, "matmul", [a, b], g => [
            a.RequiresGrad ? SumTo(MatMul(g, b.MT), sa) : null,
            b.RequiresGrad ? SumTo(MatMul(a.MT, g), sb) : null]);
    }

    /// <summary>x @ weightᵀ (+ bias), the torch <c>Linear</c> convention: x (..., in), weight (out, in),
    /// bias (out). The transposed weight is passed to GEMM as a flag, never copied.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException(
                $"[linear] x {ShapeUtil.Format(x.Shape)} and weight {ShapeUtil.Format(weight.Shape)} are incompatible");
        var y = MatMul(x, weight.MT);
        return bias is null ? y : Add(y, bias);
    }

    /// <summary>op(a) @ op(b) where op transposes the last two dims when the flag is set (views, no copies).</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA, bool transposeB) =>
        MatMul(transposeA ? a.MT : a, transposeB ? b.MT : b);

    /// <summary>How a 2-D (rows, cols) view maps onto BLAS row-major storage, or null when it needs a copy.</summary>
    internal static (bool Trans, int Ld)? Layout(Tensor t)
    {
        int rows = t.Shape[^2], cols = t.Shape[^1], sr = t.Strides[^2], sc = t.Strides[^1];
        if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) return (false, rows == 1 ? cols : sr);
        if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) return (true, cols == 1 ? rows : sc);
        return null;
    }

    private static void MatMulF32(Tensor a, Tensor b, Tensor y, int[] batch, int m, int n, int k)
    {
        var la = Layout(a);
        if (la is null) { a = a.Materialize(); la = Layout(a); }
        var lb = Layout(b);
        if (lb is null) { b = b.Materialize(); lb = Layout(b); }
        var (ta, lda) = la!.Value;
        var (tb, ldb) = lb!.Value;
        float[] xa = a.Data<float>(), xb = b.Data<float>(), xy = y.Data<float>();
        int[] ba = BatchStrides(a, batch), bb = BatchStrides(b, batch);
        int count = ShapeUtil.NumEl(batch);
        // A contiguous left operand against one shared right matrix is a single (count·M, K) GEMM.
        if (count > 1 && !ta && a.IsContiguous && bb.All(s => s == 0) && ba.Length > 0)
        {
            Gemm.Cpu.Sgemm(false, tb, count * m, n, k, 1f, xa.AsSpan(a.Offset), k, xb.AsSpan(b.Offset), ldb, 0f, xy, n);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            int oa = a.Offset + BatchOffset(i, batch, ba), ob = b.Offset + BatchOffset(i, batch, bb);
            Gemm.Cpu.Sgemm(ta, tb, m, n, k, 1f, xa.AsSpan(oa), lda, xb.AsSpan(ob), ldb, 0f,
                xy.AsSpan(i * m * n, m * n), n);
        }
    }

    private static void MatMulF64(Tensor a, Tensor b, Tensor y, int[] batch, int m, int n, int k)
    {
        double[] xa = a.Data<double>(), xb = b.Data<double>(), xy = y.Data<double>();
        int[] ba = BatchStrides(a, batch), bb = BatchStrides(b, batch);
        int count = ShapeUtil.NumEl(batch);
        for (int t = 0; t < count; t++)
        {
            int oa = a.Offset + BatchOffset(t, batch, ba), ob = b.Offset + BatchOffset(t, batch, bb);
            // float64 exists for gradient checks on small shapes only: plain loops are the intended kernel.
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += xa[oa + i * k + p] * xb[ob + p * n + j];
                xy[(t * m + i) * n + j] = s;
            }
        }
    }

    /// <summary>Strides of an operand's batch dims expanded to the broadcast batch shape (0 = broadcast).</summary>
    private static int[] BatchStrides(Tensor t, int[] batch)
    {
        int lead = batch.Length - (t.Rank - 2);
        var s = new int[batch.Length];
        for (int i = 0; i < batch.Length; i++)
            s[i] = i < lead || t.Shape[i - lead] == 1 ? 0 : t.Strides[i - lead];
        return s;
    }

    private static int BatchOffset(int index, int[] batch, int[] strides)
    {
        int off = 0;
        for (int d = batch.Length - 1; d >= 0; d--)
        {
            off += index % batch[d] * strides[d];
            index /= batch[d];
        }
        return off;
    }
}
