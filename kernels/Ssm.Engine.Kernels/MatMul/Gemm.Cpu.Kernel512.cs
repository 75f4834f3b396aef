// The 6x16 micro-kernel on AVX-512, over the same packed panels as Kernel6x16Avx2 (Gemm.Cpu.Kernel.cs): one 512-bit
// B row per k, so six FMAs per k instead of twelve. Six accumulators would leave the FMA units waiting on their
// latency, so even and odd k accumulate separately (twelve chains) and are added once at the end.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    public static partial class Cpu
    {
        /// <summary>Whether the AVX-512 micro-kernel runs (the JIT reports 512-bit vectors accelerated).</summary>
        public static bool UsesAvx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

        /// <summary>AVX-512 kernel: C tile (6, 16) = alpha · ap·bp + beta · C tile, as <see cref="Kernel6x16Avx2"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static unsafe void Kernel6x16Avx512(int kc, float* a, float* b, float* c, int ldc,
            float alpha, float beta)
        {
            Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
            Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default;
            if (Sse.IsSupported)
            {
                float* cp = c;
                for (int r = 0; r < MR; r++, cp += ldc)
                {
                    Sse.Prefetch0(cp);
                    Sse.Prefetch0(cp + 15);
                }
            }
            int p = 0;
            for (; p + 1 < kc; p += 2, a += 2 * MR, b += 2 * NR)
            {
                Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + NR);
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, e0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, e1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, e2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, e3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, e4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, e5);
                o0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b1, o0);
                o1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b1, o1);
                o2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b1, o2);
                o3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b1, o3);
                o4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b1, o4);
                o5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b1, o5);
            }
            if (p < kc)
            {
                Vector512<float> b0 = Vector512.Load(b);
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, e0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, e1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, e2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, e3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, e4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, e5);
            }
            Vector512<float> va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Vector512.Store((e0 + o0) * va, c); c += ldc;
                Vector512.Store((e1 + o1) * va, c); c += ldc;
                Vector512.Store((e2 + o2) * va, c); c += ldc;
                Vector512.Store((e3 + o3) * va, c); c += ldc;
                Vector512.Store((e4 + o4) * va, c); c += ldc;
                Vector512.Store((e5 + o5) * va, c);
                return;
            }
            Vector512<float> vb = Vector512.Create(beta);
            StoreRow512(c, e0 + o0, va, vb); c += ldc;
            StoreRow512(c, e1 + o1, va, vb); c += ldc;
            StoreRow512(c, e2 + o2, va, vb); c += ldc;
            StoreRow512(c, e3 + o3, va, vb); c += ldc;
            StoreRow512(c, e4 + o4, va, vb); c += ldc;
            StoreRow512(c, e5 + o5, va, vb);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreRow512(float* c, Vector512<float> row, Vector512<float> alpha,
            Vector512<float> beta) =>
            Vector512.Store(Avx512F.FusedMultiplyAdd(Vector512.Load(c), beta, row * alpha), c);
    }
}
