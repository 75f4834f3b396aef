// Packing of op(A) and op(B) blocks into the micro-kernel's panel layout; the transposes are absorbed here.
//   A block (mc, kc) -> ceil(mc/6) panels, each (kc, 6):  ap[panel][p][i] = op(A)[ic + 6·panel + i, pc + p]
//   B block (kc, nc) -> ceil(nc/16) panels, each (kc, 16): bp[panel][p][j] = op(B)[pc + p, jc + 16·panel + j]
// Rows / columns past the matrix edge are zero, so edge tiles compute garbage-free zeros there.
using System.Runtime.Intrinsics;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    public static partial class Cpu
    {
        /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-row panels at <paramref name="ap"/>.</summary>
        internal static unsafe void PackA(bool transA, float* a, int lda, int ic, int mc, int pc, int kc, float* ap)
        {
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                float* dst = ap + (long)ir * kc;
                if (!transA)
                {
                    // op(A) = A: row i is contiguous in p; interleave MR rows.
                    float* src = a + (long)(ic + ir) * lda + pc;
                    if (mr == MR)
                    {
                        float* r0 = src, r1 = src + lda, r2 = src + 2L * lda;
                        float* r3 = src + 3L * lda, r4 = src + 4L * lda, r5 = src + 5L * lda;
                        for (int p = 0; p < kc; p++, dst += MR)
                        {
                            dst[0] = r0[p]; dst[1] = r1[p]; dst[2] = r2[p];
                            dst[3] = r3[p]; dst[4] = r4[p]; dst[5] = r5[p];
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++, dst += MR)
                        for (int i = 0; i < MR; i++)
                            dst[i] = i < mr ? src[(long)i * lda + p] : 0f;
                    }
                }
                else
                {
                    // op(A) = Aᵀ: op(A)[i, p] = A[p, i], so MR consecutive values of stored row p.
                    float* src = a + (long)pc * lda + ic + ir;
                    for (int p = 0; p < kc; p++, dst += MR, src += lda)
                    for (int i = 0; i < MR; i++)
                        dst[i] = i < mr ? src[i] : 0f;
                }
            }
        }

        /// <summary>Packs NR-column panels [q0, q1) of op(B)[pc..pc+kc, jc..jc+nc] at <paramref name="bp"/>.</summary>
        internal static unsafe void PackB(bool transB, float* b, int ldb, int pc, int kc, int jc, int nc,
            int q0, int q1, float* bp)
        {
            for (int q = q0; q < q1; q++)
            {
                int jr = q * NR, nr = Math.Min(NR, nc - jr);
                float* dst = bp + (long)q * NR * kc;
                if (!transB)
                {
                    // op(B) = B: NR consecutive values of stored row p.
                    float* src = b + (long)pc * ldb + jc + jr;
                    if (nr == NR && Vector256.IsHardwareAccelerated)
                    {
                        for (int p = 0; p < kc; p++, dst += NR, src += ldb)
                        {
                            Vector256.Store(Vector256.Load(src), dst);
                            Vector256.Store(Vector256.Load(src + 8), dst + 8);
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++, dst += NR, src += ldb)
                        for (int j = 0; j < NR; j++)
                            dst[j] = j < nr ? src[j] : 0f;
                    }
                }
                else
                {
                    // op(B) = Bᵀ: op(B)[p, j] = B[j, p]; read each stored row contiguously, write with stride NR.
                    float* src = b + (long)(jc + jr) * ldb + pc;
                    for (int j = 0; j < NR; j++)
                    {
                        float* row = src + (long)j * ldb;
                        if (j < nr)
                            for (int p = 0; p < kc; p++) dst[p * NR + j] = row[p];
                        else
                            for (int p = 0; p < kc; p++) dst[p * NR + j] = 0f;
                    }
                }
            }
        }

        /// <summary>Per-thread pinned packing buffers, reused across calls.</summary>
        internal static class Buffers
        {
            [ThreadStatic] private static float[]? s_a;
            [ThreadStatic] private static float[]? s_b;

            /// <summary>Extra floats so the buffer can be aligned to 64 bytes.</summary>
            private const int Slack = 16;

            public static float[] PackedA(int floats) => Get(ref s_a, floats);

            public static float[] PackedB(int floats) => Get(ref s_b, floats);

            private static float[] Get(ref float[]? cache, int floats)
            {
                if (cache is null || cache.Length < floats + Slack)
                    cache = GC.AllocateUninitializedArray<float>(floats + Slack, pinned: true);
                return cache;
            }

            /// <summary>First 64-byte aligned address inside a pinned buffer.</summary>
            public static unsafe float* Align(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);
        }
    }
}
