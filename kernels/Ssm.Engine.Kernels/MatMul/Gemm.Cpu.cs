// C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C, row-major float32 (see Gemm.cs).
// Packed, register-blocked GEMM in the BLIS layout:
//   for jc in N step NC            B block (KC, NC) packed once per (jc, pc), shared by all threads (L3)
//     for pc in K step KC
//       for ic in M step MC         A block (MC, KC) packed per thread (L2)
//         for jr in NC step NR       B micro-panel (KC, 16) stays in L1
//           for ir in MC step MR     6x16 micro-kernel: 12 accumulators of 8 lanes
// Packing absorbs the transposes; panels are zero-padded so the micro-kernel always runs full tiles and only edge
// tiles go through a temporary. Threads split either the rows of C or the NR-panels of the packed B.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    /// <summary>The fast CPU path (SIMD, multi-threaded). Same contract as <see cref="Reference.Sgemm"/>.</summary>
    public static partial class Cpu
    {
        internal const int MR = 6, NR = 16;
        internal const int MC = 168, KC = 256, NC = 4080;

        /// <summary>Below this many flops (2·M·N·K) GEMM runs on the calling thread only.</summary>
        internal const double ParallelFlops = 4e6;

        /// <summary>B blocks with fewer floats than this are packed by one thread.</summary>
        internal const long ParallelPackFloats = 1L << 20;

        /// <summary>Work items per thread in the parallel GEMM (dynamic load balancing).</summary>
        internal const int WorkItemsPerThread = 4;

        /// <summary>True when the AVX2/FMA micro-kernel is used (else the portable Vector/scalar one).</summary>
        public static bool UsesAvx2 => Fma.IsSupported && Avx.IsSupported;

        /// <summary>C = alpha · op(A) · op(B) + beta · C on all cores. beta == 0 ignores what C held (NaN included).
        /// M ≤ 4 goes to the bandwidth-bound GEMV path.</summary>
        public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
            => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads: 0);

        /// <summary>C = alpha · op(A) · op(B) + beta · C with at most <paramref name="threads"/> threads
        /// (0 or less: <see cref="Environment.ProcessorCount"/>).</summary>
        public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
            int threads)
        {
            Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
            if (m == 0 || n == 0) return;
            if (k == 0 || alpha == 0f)
            {
                ScaleC(m, n, beta, c, ldc);
                return;
            }
            threads = ResolveThreads(threads);
            if (2.0 * m * n * k < ParallelFlops) threads = 1;
            if (m <= SmallM)
            {
                SmallMGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
                return;
            }
            fixed (float* pa = a, pb = b, pc = c)
            {
                var job = new GemmJob
                {
                    A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transA, TransB = transB,
                    M = m, N = n, K = k, Alpha = alpha, Beta = beta, Threads = threads,
                };
                job.Run();
            }
        }

        internal static int ResolveThreads(int threads) => threads <= 0 ? Environment.ProcessorCount : threads;

        /// <summary>C = beta · C, where beta == 0 writes zeros (BLAS: C is not read).</summary>
        private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
        {
            for (int i = 0; i < m; i++)
            {
                Span<float> row = c.Slice(i * ldc, n);
                if (beta == 0f) row.Clear();
                else if (beta != 1f)
                    System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }

        /// <summary>One GEMM call: operands as raw pointers so worker threads can share them.</summary>
        private unsafe sealed class GemmJob
        {
            public float* A, B, C;
            public int Lda, Ldb, Ldc, M, N, K, Threads;
            public bool TransA, TransB;
            public float Alpha, Beta;

            // State of the current (jc, pc) block, read by the workers.
            private float* _bp;
            private int _jc, _nc, _pc, _kc;
            private float _betaEff;
            private int _mParts, _nParts;

            public void Run()
            {
                int ncMax = Math.Min(NC, RoundUp(N, NR));
                float[] bBuf = Buffers.PackedB(KC * ncMax);
                fixed (float* bRaw = bBuf)
                {
                    _bp = Buffers.Align(bRaw);
                    // Split the rows of C when there are enough row panels, else the column panels of B, into
                    // WorkItemsPerThread balanced items per thread, handed out dynamically: as fast as a static
                    // split on an idle machine, and a thread that loses its core to another process holds up less.
                    int items = Threads == 1 ? 1 : Threads * WorkItemsPerThread;
                    _mParts = (M + MR - 1) / MR >= (N + NR - 1) / NR ? items : 1;
                    _nParts = items / _mParts;
                    for (int jc = 0; jc < N; jc += NC)
                    for (int pc = 0; pc < K; pc += KC)
                    {
                        _jc = jc; _nc = Math.Min(NC, N - jc);
                        _pc = pc; _kc = Math.Min(KC, K - pc);
                        _betaEff = pc == 0 ? Beta : 1f;
                        PackBBlock();
                        if (Threads == 1) Compute(0);
                        else
                            Parallel.For(0, _mParts * _nParts, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                                Compute);
                    }
                }
            }

            private void PackBBlock()
            {
                int panels = (_nc + NR - 1) / NR;
                // Packing is a fast copy: a second Parallel.For join costs more than it saves until the block is
                // about a full KC x NC one (N ≥ ~4K).
                if (Threads == 1 || (long)_kc * _nc < ParallelPackFloats)
                {
                    PackB(TransB, B, Ldb, _pc, _kc, _jc, _nc, 0, panels, _bp);
                    return;
                }
                Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
                {
                    var (p0, p1) = Split(panels, Threads, t);
                    PackB(TransB, B, Ldb, _pc, _kc, _jc, _nc, p0, p1, _bp);
                });
            }

            /// <summary>Work item <paramref name="t"/>: its share of rows (in MR units) and of B panels.</summary>
            private void Compute(int t)
            {
                int rowPanels = (M + MR - 1) / MR, colPanels = (_nc + NR - 1) / NR;
                var (r0, r1) = Split(rowPanels, _mParts, t / _nParts);
                var (q0, q1) = Split(colPanels, _nParts, t % _nParts);
                int i0 = r0 * MR, i1 = Math.Min(M, r1 * MR);
                if (i0 >= i1 || q0 >= q1) return;
                float[] aBuf = Buffers.PackedA(MC * KC);
                fixed (float* aRaw = aBuf)
                {
                    float* ap = Buffers.Align(aRaw);
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(TransA, A, Lda, ic, mc, _pc, _kc, ap);
                        MacroKernel(ap, mc, ic, q0, q1);
                    }
                }
            }

            private void MacroKernel(float* ap, int mc, int ic, int q0, int q1)
            {
                bool avx = UsesAvx2, avx512 = UsesAvx512;
                float* tile = stackalloc float[MR * NR];
                for (int q = q0; q < q1; q++)
                {
                    int jr = q * NR, nr = Math.Min(NR, _nc - jr);
                    float* bPanel = _bp + (long)q * NR * _kc;
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        float* aPanel = ap + (long)ir * _kc;
                        float* cTile = C + (long)(ic + ir) * Ldc + _jc + jr;
                        if (mr == MR && nr == NR)
                        {
                            if (avx512) Kernel6x16Avx512(_kc, aPanel, bPanel, cTile, Ldc, Alpha, _betaEff);
                            else if (avx) Kernel6x16Avx2(_kc, aPanel, bPanel, cTile, Ldc, Alpha, _betaEff);
                            else Kernel6x16Portable(_kc, aPanel, bPanel, cTile, Ldc, Alpha, _betaEff);
                        }
                        else
                        {
                            if (avx512) Kernel6x16Avx512(_kc, aPanel, bPanel, tile, NR, 1f, 0f);
                            else if (avx) Kernel6x16Avx2(_kc, aPanel, bPanel, tile, NR, 1f, 0f);
                            else Kernel6x16Portable(_kc, aPanel, bPanel, tile, NR, 1f, 0f);
                            MergeEdge(tile, mr, nr, cTile, Ldc, Alpha, _betaEff);
                        }
                    }
                }
            }
        }

        /// <summary>C[0..mr, 0..nr] = alpha · tile + beta · C for a partial tile.</summary>
        private static unsafe void MergeEdge(float* tile, int mr, int nr, float* c, int ldc, float alpha, float beta)
        {
            for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
            {
                float v = alpha * tile[i * NR + j];
                c[(long)i * ldc + j] = beta == 0f ? v : v + beta * c[(long)i * ldc + j];
            }
        }

        /// <summary>Contiguous share [start, end) of <paramref name="count"/> items for part
        /// <paramref name="t"/>.</summary>
        internal static (int Start, int End) Split(int count, int parts, int t)
            => ((int)((long)count * t / parts), (int)((long)count * (t + 1) / parts));

        internal static int RoundUp(int x, int to) => (x + to - 1) / to * to;
    }
}
