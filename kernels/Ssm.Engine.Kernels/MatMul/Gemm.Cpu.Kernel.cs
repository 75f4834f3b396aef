// 6x16 micro-kernels over packed panels: C tile (6, 16) = alpha · ap (6, kc)·bp (kc, 16) + beta · C tile.
// ap holds op(A) column p as 6 consecutive floats, bp holds op(B) row p as 16 consecutive floats.
// beta == 0 stores without reading C (so NaN/garbage there is ignored, as BLAS requires).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    public static partial class Cpu
    {
        /// <summary>AVX2/FMA kernel: 12 Vector256 accumulators, 2 B loads and 6 A broadcasts per k.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static unsafe void Kernel6x16Avx2(int kc, float* a, float* b, float* c, int ldc,
            float alpha, float beta)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
            Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;
            PrefetchCTile(c, ldc);
            int p = 0;
            for (; p + 1 < kc; p += 2, a += 2 * MR, b += 2 * NR)
            {
                Vector256<float> b0 = Avx.LoadVector256(b), b1 = Avx.LoadVector256(b + 8), av;
                av = Avx.BroadcastScalarToVector256(a);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 1);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 2);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 3);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 4);
                c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 5);
                c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);

                b0 = Avx.LoadVector256(b + 16); b1 = Avx.LoadVector256(b + 24);
                av = Avx.BroadcastScalarToVector256(a + 6);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 7);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 8);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 9);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 10);
                c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 11);
                c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            }
            if (p < kc)
            {
                Vector256<float> b0 = Avx.LoadVector256(b), b1 = Avx.LoadVector256(b + 8), av;
                av = Avx.BroadcastScalarToVector256(a);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 1);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 2);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 3);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 4);
                c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 5);
                c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            }
            Vector256<float> va = Vector256.Create(alpha);
            if (beta == 0f)
            {
                Avx.Store(c, Avx.Multiply(c00, va)); Avx.Store(c + 8, Avx.Multiply(c01, va)); c += ldc;
                Avx.Store(c, Avx.Multiply(c10, va)); Avx.Store(c + 8, Avx.Multiply(c11, va)); c += ldc;
                Avx.Store(c, Avx.Multiply(c20, va)); Avx.Store(c + 8, Avx.Multiply(c21, va)); c += ldc;
                Avx.Store(c, Avx.Multiply(c30, va)); Avx.Store(c + 8, Avx.Multiply(c31, va)); c += ldc;
                Avx.Store(c, Avx.Multiply(c40, va)); Avx.Store(c + 8, Avx.Multiply(c41, va)); c += ldc;
                Avx.Store(c, Avx.Multiply(c50, va)); Avx.Store(c + 8, Avx.Multiply(c51, va));
            }
            else
            {
                Vector256<float> vb = Vector256.Create(beta);
                StoreRow(c, c00, c01, va, vb); c += ldc;
                StoreRow(c, c10, c11, va, vb); c += ldc;
                StoreRow(c, c20, c21, va, vb); c += ldc;
                StoreRow(c, c30, c31, va, vb); c += ldc;
                StoreRow(c, c40, c41, va, vb); c += ldc;
                StoreRow(c, c50, c51, va, vb);
            }
        }

        /// <summary>The C tile is needed only after the k loop: start fetching its 6 rows of 16 floats now.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void PrefetchCTile(float* c, int ldc)
        {
            if (!Sse.IsSupported) return;
            for (int r = 0; r < MR; r++, c += ldc)
            {
                Sse.Prefetch0(c);
                Sse.Prefetch0(c + 15);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreRow(float* c, Vector256<float> lo, Vector256<float> hi,
            Vector256<float> alpha, Vector256<float> beta)
        {
            Avx.Store(c, Fma.MultiplyAdd(Avx.LoadVector256(c), beta, Avx.Multiply(lo, alpha)));
            Avx.Store(c + 8, Fma.MultiplyAdd(Avx.LoadVector256(c + 8), beta, Avx.Multiply(hi, alpha)));
        }

        /// <summary>Portable kernel (no AVX2/FMA): Vector&lt;float&gt; over two rows at a time when 16 is a
        /// multiple of its width, else scalar. Same packed layout and store rule as the AVX2 kernel.</summary>
        internal static unsafe void Kernel6x16Portable(int kc, float* a, float* b, float* c, int ldc,
            float alpha, float beta)
        {
            float* tile = stackalloc float[MR * NR];
            int w = Vector<float>.Count;
            if (Vector.IsHardwareAccelerated && NR % w == 0 && NR / w <= 4)
            {
                int vecs = NR / w;
                for (int i = 0; i < MR; i += 2)
                for (int v = 0; v < vecs; v++)
                {
                    Vector<float> s0 = Vector<float>.Zero, s1 = Vector<float>.Zero;
                    float* ap = a + i, bp = b + v * w;
                    for (int p = 0; p < kc; p++, ap += MR, bp += NR)
                    {
                        var bv = Unsafe.ReadUnaligned<Vector<float>>(bp);
                        s0 += new Vector<float>(ap[0]) * bv;
                        s1 += new Vector<float>(ap[1]) * bv;
                    }
                    Unsafe.WriteUnaligned(tile + i * NR + v * w, s0);
                    Unsafe.WriteUnaligned(tile + (i + 1) * NR + v * w, s1);
                }
            }
            else
            {
                for (int i = 0; i < MR * NR; i++) tile[i] = 0f;
                for (int p = 0; p < kc; p++, a += MR, b += NR)
                for (int i = 0; i < MR; i++)
                {
                    float av = a[i];
                    float* t = tile + i * NR;
                    for (int j = 0; j < NR; j++) t[j] += av * b[j];
                }
            }
            MergeEdge(tile, MR, NR, c, ldc, alpha, beta);
        }
    }
}
