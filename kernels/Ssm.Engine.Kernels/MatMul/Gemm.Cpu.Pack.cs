// Packing of op(A) and op(B) blocks into the micro-kernel's panel layout; the transposes are absorbed here.
//   A block (mc, kc) -> ceil(mc/6) panels, each (kc, 6):  ap[panel][p][i] = op(A)[ic + 6·panel + i, pc + p]
//   B block (kc, nc) -> ceil(nc/16) panels, each (kc, 16): bp[panel][p][j] = op(B)[pc + p, jc + 16·panel + j]
// Rows / columns past the matrix edge are zero, so edge tiles compute garbage-free zeros there.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                        int p = 0;
                        if (Avx.IsSupported)
                            for (; p + 8 <= kc; p += 8, dst += 8 * MR)
                                Transpose6x8(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p, dst);
                        for (; p < kc; p++, dst += MR)
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

        /// <summary>Writes 8 columns of 6 rows as dst[j·6 + i] = r_i[j]: an 8x8 AVX transpose with two zero rows,
        /// stored as 8 overlapping 8-float rows in ascending order (each spills 2 floats into the next column's
        /// slot, which the next store overwrites; the last one spills 2 floats past the panel).</summary>
        private static unsafe void Transpose6x8(float* r0, float* r1, float* r2, float* r3, float* r4, float* r5,
            float* dst)
        {
            Vector256<float> t0 = Avx.UnpackLow(Avx.LoadVector256(r0), Avx.LoadVector256(r1));
            Vector256<float> t1 = Avx.UnpackHigh(Avx.LoadVector256(r0), Avx.LoadVector256(r1));
            Vector256<float> t2 = Avx.UnpackLow(Avx.LoadVector256(r2), Avx.LoadVector256(r3));
            Vector256<float> t3 = Avx.UnpackHigh(Avx.LoadVector256(r2), Avx.LoadVector256(r3));
            Vector256<float> t4 = Avx.UnpackLow(Avx.LoadVector256(r4), Avx.LoadVector256(r5));
            Vector256<float> t5 = Avx.UnpackHigh(Avx.LoadVector256(r4), Avx.LoadVector256(r5));
            Vector256<float> zero = Vector256<float>.Zero;
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, zero, 0x44), u5 = Avx.Shuffle(t4, zero, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, zero, 0x44), u7 = Avx.Shuffle(t5, zero, 0xEE);
            Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(dst + 6, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(dst + 12, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(dst + 18, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(dst + 24, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(dst + 30, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(dst + 36, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(dst + 42, Avx.Permute2x128(u3, u7, 0x31));
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

            /// <summary>Extra floats: up to 15 for the 64-byte alignment, plus the 2 that Transpose6x8 spills
            /// past the last panel.</summary>
            private const int Slack = 32;

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
