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
            PrefetchCTile(c, ldc);
            int p = 0;
            for (; p + 1 < kc; p += 2, a += 2 * MR, b += 2 * NR)
            {
                Step(a, Vector512.Load(b), ref e0, ref e1, ref e2, ref e3, ref e4, ref e5);
                Step(a + MR, Vector512.Load(b + NR), ref o0, ref o1, ref o2, ref o3, ref o4, ref o5);
            }
            if (p < kc) Step(a, Vector512.Load(b), ref e0, ref e1, ref e2, ref e3, ref e4, ref e5);
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

        /// <summary>One k of the six rows: r_i += a[i]·b.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void Step(float* a, Vector512<float> b, ref Vector512<float> r0, ref Vector512<float> r1,
            ref Vector512<float> r2, ref Vector512<float> r3, ref Vector512<float> r4, ref Vector512<float> r5)
        {
            r0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b, r0);
            r1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b, r1);
            r2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b, r2);
            r3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b, r3);
            r4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b, r4);
            r5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b, r5);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreRow512(float* c, Vector512<float> row, Vector512<float> alpha,
            Vector512<float> beta) =>
            Vector512.Store(Avx512F.FusedMultiplyAdd(Vector512.Load(c), beta, row * alpha), c);
    }
}
