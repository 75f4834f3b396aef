// Bandwidth-bound small-M path (M ≤ 4), chosen automatically by Sgemm, and the GEMV entry points of decode.
// Decode's Linear: y (1, N) = x (1, K) · Wᵀ with W stored (N, K) row-major, i.e. Sgemm(transB: true, M = 1).
//   transB: y[i, j] = dot(x_i, W[j, :]): 4 rows of W at a time, 8 accumulators, rows of W split over threads.
//   !transB: y[i, :] += x_i[p] · B[p, :] over 64-column blocks of B (8 accumulators), blocks split over threads.
// Each W / B element is read from memory once; the M rows of x re-use it from L1/L2.
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    public static partial class Cpu
    {
        /// <summary>M at or below which Sgemm takes the GEMV-style path instead of packing.</summary>
        internal const int SmallM = 4;

        /// <summary>Below this many bytes of weights a GEMV runs on the calling thread only.</summary>
        internal const long ParallelBytes = 256 * 1024;

        /// <summary>y = W·x (fp32): W (N, K) row-major, x (K), y (N); the same as
        /// Sgemm(false, true, 1, N, K, 1, x, K, W, K, 0, y, N).</summary>
        public static void Gemv(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y, int n, int k,
            int threads = 0)
            => Sgemm(false, true, 1, n, k, 1f, x, Math.Max(k, 1), w, Math.Max(k, 1), 0f, y, Math.Max(n, 1),
                threads);

        // x: (M, K) rows of op(A); W: (N, K) or B: (K, N); C: (M, N). Arguments already validated, m in 1..SmallM.
        private static unsafe void SmallMGemm(bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
            int threads)
        {
            float[]? rented = null;
            if (transA)
            {
                // Gather the rows of op(A) = Aᵀ so each x_i is contiguous.
                rented = ArrayPool<float>.Shared.Rent(m * k);
                for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    rented[i * k + p] = a[p * lda + i];
                lda = k;
            }
            ReadOnlySpan<float> xs = rented is null ? a : rented;
            if (4L * n * k < ParallelBytes) threads = 1;
            try
            {
                fixed (float* px = xs, pb = b, pc = c)
                {
                    int units = transB ? (n + 3) / 4 : (n + 63) / 64;
                    int chunks = threads == 1 ? 1 : Math.Min(units, threads * 4);
                    // One chunk runs inline: no delegate or closure, so a decode GEMV allocates nothing.
                    if (chunks == 1) SmallMChunk(transB, px, lda, m, pb, ldb, k, 0, n, pc, ldc, alpha, beta);
                    else SmallMParallel(transB, px, lda, m, pb, ldb, n, k, pc, ldc, alpha, beta, units, chunks,
                        threads);
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<float>.Shared.Return(rented);
            }
        }

        private static unsafe void SmallMParallel(bool transB, float* px, int lda, int m, float* pb, int ldb, int n,
            int k, float* pc, int ldc, float alpha, float beta, int units, int chunks, int threads)
        {
            nint xA = (nint)px, bA = (nint)pb, cA = (nint)pc;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var (u0, u1) = Split(units, chunks, t);
                int per = transB ? 4 : 64;
                SmallMChunk(transB, (float*)xA, lda, m, (float*)bA, ldb, k, u0 * per, Math.Min(n, u1 * per),
                    (float*)cA, ldc, alpha, beta);
            });
        }

        // Columns [j0, j1) of C: dot products with rows of W (transB) or axpy over columns of B.
        private static unsafe void SmallMChunk(bool transB, float* x, int lda, int m, float* b, int ldb, int k,
            int j0, int j1, float* c, int ldc, float alpha, float beta)
        {
            if (transB) DotRows(x, lda, m, b, ldb, k, j0, j1, c, ldc, alpha, beta);
            else AxpyCols(x, lda, m, b, ldb, k, j0, j1, c, ldc, alpha, beta);
        }

        /// <summary>c[i, j] = alpha · dot(x_i, w_j) + beta · c[i, j] for j in [j0, j1), i &lt; m.</summary>
        private static unsafe void DotRows(float* x, int ldx, int m, float* w, int ldw, int k, int j0, int j1,
            float* c, int ldc, float alpha, float beta)
        {
            float* d = stackalloc float[4];
            int j = j0;
            for (; j + 4 <= j1; j += 4)
            {
                float* wj = w + (long)j * ldw;
                for (int i = 0; i < m; i++)
                {
                    Dot4(x + (long)i * ldx, wj, ldw, k, d);
                    float* ci = c + (long)i * ldc + j;
                    for (int r = 0; r < 4; r++) ci[r] = Blend(alpha * d[r], beta, ci[r]);
                }
            }
            for (; j < j1; j++)
            for (int i = 0; i < m; i++)
            {
                float s = Dot1(x + (long)i * ldx, w + (long)j * ldw, k);
                float* ci = c + (long)i * ldc + j;
                *ci = Blend(alpha * s, beta, *ci);
            }
        }

        private static float Blend(float v, float beta, float old) => beta == 0f ? v : v + beta * old;

        /// <summary>d[r] = dot(x, w + r·ldw) for r &lt; 4 over k elements.</summary>
        private static unsafe void Dot4(float* x, float* w, int ldw, int k, float* d)
        {
            float* w0 = w, w1 = w + ldw, w2 = w + 2L * ldw, w3 = w + 3L * ldw;
            int p = 0;
            if (Fma.IsSupported && Avx.IsSupported)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
                for (; p + 16 <= k; p += 16)
                {
                    Vector256<float> x0 = Avx.LoadVector256(x + p), x1 = Avx.LoadVector256(x + p + 8);
                    a0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + p), x0, a0);
                    b0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + p + 8), x1, b0);
                    a1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + p), x0, a1);
                    b1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + p + 8), x1, b1);
                    a2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + p), x0, a2);
                    b2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + p + 8), x1, b2);
                    a3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + p), x0, a3);
                    b3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + p + 8), x1, b3);
                }
                d[0] = Vector256.Sum(a0 + b0); d[1] = Vector256.Sum(a1 + b1);
                d[2] = Vector256.Sum(a2 + b2); d[3] = Vector256.Sum(a3 + b3);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; p + 4 <= k; p += 4)
                {
                    Vector128<float> x0 = Vector128.Load(x + p);
                    a0 += Vector128.Load(w0 + p) * x0; a1 += Vector128.Load(w1 + p) * x0;
                    a2 += Vector128.Load(w2 + p) * x0; a3 += Vector128.Load(w3 + p) * x0;
                }
                d[0] = Vector128.Sum(a0); d[1] = Vector128.Sum(a1); d[2] = Vector128.Sum(a2); d[3] = Vector128.Sum(a3);
            }
            else
            {
                d[0] = d[1] = d[2] = d[3] = 0f;
            }
            for (; p < k; p++)
            {
                float xv = x[p];
                d[0] += w0[p] * xv; d[1] += w1[p] * xv; d[2] += w2[p] * xv; d[3] += w3[p] * xv;
            }
        }

        private static unsafe float Dot1(float* x, float* w, int k)
            => System.Numerics.Tensors.TensorPrimitives.Dot(
                new ReadOnlySpan<float>(x, k), new ReadOnlySpan<float>(w, k));

        /// <summary>c[i, j0..j1) = alpha · x_i · B[:, j0..j1) + beta · c over 64-column blocks, K in blocks of KC
        /// (the B block then stays in L2 while the m rows use it).</summary>
        private static unsafe void AxpyCols(float* x, int ldx, int m, float* b, int ldb, int k, int j0, int j1,
            float* c, int ldc, float alpha, float beta)
        {
            float* acc = stackalloc float[SmallM * 64];
            for (int j = j0; j < j1; j += 64)
            {
                int w = Math.Min(64, j1 - j);
                new Span<float>(acc, SmallM * 64).Clear();
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    for (int i = 0; i < m; i++)
                        AxpyBlock(x + (long)i * ldx + pc, b + (long)pc * ldb + j, ldb, kc, w, acc + i * 64);
                }
                for (int i = 0; i < m; i++)
                {
                    float* ci = c + (long)i * ldc + j;
                    for (int q = 0; q < w; q++) ci[q] = Blend(alpha * acc[i * 64 + q], beta, ci[q]);
                }
            }
        }

        /// <summary>acc[0..w) += Σ_p x[p] · B[p, 0..w) for p &lt; kc.</summary>
        private static unsafe void AxpyBlock(float* x, float* b, int ldb, int kc, int w, float* acc)
        {
            if (w == 64 && Fma.IsSupported && Avx.IsSupported)
            {
                Vector256<float> s0 = Avx.LoadVector256(acc), s1 = Avx.LoadVector256(acc + 8);
                Vector256<float> s2 = Avx.LoadVector256(acc + 16), s3 = Avx.LoadVector256(acc + 24);
                Vector256<float> s4 = Avx.LoadVector256(acc + 32), s5 = Avx.LoadVector256(acc + 40);
                Vector256<float> s6 = Avx.LoadVector256(acc + 48), s7 = Avx.LoadVector256(acc + 56);
                for (int p = 0; p < kc; p++, b += ldb)
                {
                    Vector256<float> xv = Avx.BroadcastScalarToVector256(x + p);
                    s0 = Fma.MultiplyAdd(Avx.LoadVector256(b), xv, s0);
                    s1 = Fma.MultiplyAdd(Avx.LoadVector256(b + 8), xv, s1);
                    s2 = Fma.MultiplyAdd(Avx.LoadVector256(b + 16), xv, s2);
                    s3 = Fma.MultiplyAdd(Avx.LoadVector256(b + 24), xv, s3);
                    s4 = Fma.MultiplyAdd(Avx.LoadVector256(b + 32), xv, s4);
                    s5 = Fma.MultiplyAdd(Avx.LoadVector256(b + 40), xv, s5);
                    s6 = Fma.MultiplyAdd(Avx.LoadVector256(b + 48), xv, s6);
                    s7 = Fma.MultiplyAdd(Avx.LoadVector256(b + 56), xv, s7);
                }
                Avx.Store(acc, s0); Avx.Store(acc + 8, s1); Avx.Store(acc + 16, s2); Avx.Store(acc + 24, s3);
                Avx.Store(acc + 32, s4); Avx.Store(acc + 40, s5); Avx.Store(acc + 48, s6); Avx.Store(acc + 56, s7);
                return;
            }
            for (int p = 0; p < kc; p++, b += ldb)
            {
                float xv = x[p];
                int q = 0;
                if (Vector128.IsHardwareAccelerated)
                {
                    var xb = Vector128.Create(xv);
                    for (; q + 4 <= w; q += 4)
                        Vector128.Store(Vector128.Load(acc + q) + Vector128.Load(b + q) * xb, acc + q);
                }
                for (; q < w; q++) acc[q] += xv * b[q];
            }
        }
    }
}
