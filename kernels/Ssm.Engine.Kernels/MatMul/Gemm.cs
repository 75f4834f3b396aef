// C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C, row-major, float32.
// op(X) = X or Xᵀ; lda/ldb/ldc are row strides of the stored matrices (BLAS row-major convention).
namespace Ssm.Engine.Kernels.MatMul;

/// <summary>Single-precision matrix multiply: <see cref="Reference"/> loops and the fast <see cref="Cpu"/>
/// path.</summary>
public static partial class Gemm
{
    /// <summary>Checks operand sizes; messages name the operand.</summary>
    public static void Validate(bool transA, bool transB, int m, int n, int k, int aLength, int lda,
        int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"[gemm] negative size M={m} N={n} K={k}");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckOperand("A", aRows, aCols, lda, aLength);
        CheckOperand("B", bRows, bCols, ldb, bLength);
        CheckOperand("C", m, n, ldc, cLength);
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, int length)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"[gemm] ld{name.ToLowerInvariant()}={ld} < {cols} columns of {name}");
        long need = (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException(
                $"[gemm] {name} holds {length} values, needs {need} ({rows}x{cols}, ld {ld})");
    }

    /// <summary>Plain triple loop with float64 accumulation: the specification and test oracle.</summary>
    public static class Reference
    {
        /// <summary>C = alpha · op(A) · op(B) + beta · C.</summary>
        public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        {
            Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += (double)av * bv;
                }
                float prev = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * s) + prev;
            }
        }
    }
}
