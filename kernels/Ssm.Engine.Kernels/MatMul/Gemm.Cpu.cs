namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    /// <summary>The fast CPU path (SIMD, multi-threaded). Same contract as <see cref="Reference.Sgemm"/>.</summary>
    public static class Cpu
    {
        /// <summary>C = alpha · op(A) · op(B) + beta · C.</summary>
        public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
            // Placeholder until the packed AVX2 kernel lands: correct, not fast.
            => Reference.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
