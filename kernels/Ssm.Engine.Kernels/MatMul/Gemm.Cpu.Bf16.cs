// GEMV with bfloat16 weights for decode: y (N) = W (N, K) · x (K), W stored as raw bf16 bits (ushort) row-major.
// bf16 is the top half of an fp32, so widening is a zero-extend and a left shift by 16, done in registers;
// the weight stream is half the bytes of fp32, which is what bounds decode.
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    public static partial class Cpu
    {
        /// <summary>y = W·x with W (N, K) in bf16 bits (row-major), x (K) and y (N) fp32; accumulation in fp32.
        /// Rows of W are split over at most <paramref name="threads"/> threads (0: all cores).</summary>
        public static unsafe void GemvBf16(ReadOnlySpan<ushort> w, ReadOnlySpan<float> x, Span<float> y,
            int n, int k, int threads = 0)
        {
            // w: (N, K) bf16; x: (K); y: (N)
            if (n < 0 || k < 0) throw new ArgumentException($"[gemv_bf16] negative size N={n} K={k}");
            if (w.Length < (long)n * k)
                throw new ArgumentException(
                    $"[gemv_bf16] W holds {w.Length} values, needs {(long)n * k} (N={n}, K={k})");
            if (x.Length < k) throw new ArgumentException($"[gemv_bf16] x holds {x.Length} values, needs K={k}");
            if (y.Length < n) throw new ArgumentException($"[gemv_bf16] y holds {y.Length} values, needs N={n}");
            if (n == 0) return;
            threads = 2L * n * k < ParallelBytes ? 1 : ResolveThreads(threads);
            fixed (ushort* pw = w)
            fixed (float* px = x, py = y)
            {
                int units = (n + 3) / 4;
                int chunks = threads == 1 ? 1 : Math.Min(units, threads * 4);
                // One chunk runs inline: no delegate or closure, so a decode GEMV allocates nothing.
                if (chunks == 1) DotRowsBf16(pw, k, px, 0, n, py);
                else GemvBf16Parallel(pw, k, px, py, n, units, chunks, threads);
            }
        }

        private static unsafe void GemvBf16Parallel(ushort* pw, int k, float* px, float* py, int n, int units,
            int chunks, int threads)
        {
            nint wA = (nint)pw, xA = (nint)px, yA = (nint)py;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var (u0, u1) = Split(units, chunks, t);
                DotRowsBf16((ushort*)wA, k, (float*)xA, u0 * 4, Math.Min(n, u1 * 4), (float*)yA);
            });
        }

        /// <summary>Widens bf16 bits to fp32 (exact).</summary>
        public static float Bf16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

        private static unsafe void DotRowsBf16(ushort* w, int k, float* x, int j0, int j1, float* y)
        {
            int j = j0;
            if (Avx2.IsSupported && Fma.IsSupported)
                for (; j + 4 <= j1; j += 4) Dot4Bf16Avx2(w + (long)j * k, k, x, y + j);
            for (; j < j1; j++) y[j] = Dot1Bf16(w + (long)j * k, x, k);
        }

        /// <summary>y[r] = dot(W row r, x) for 4 rows: 16 elements per row per step, 8 accumulators.</summary>
        private static unsafe void Dot4Bf16Avx2(ushort* w, int k, float* x, float* y)
        {
            ushort* w0 = w, w1 = w + k, w2 = w + 2L * k, w3 = w + 3L * k;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            int p = 0;
            // The next four rows are fetched ahead while these are summed: bf16 rows are short (1.5 KB at K = 768),
            // too short for the hardware prefetchers to ramp up on their own.
            ushort* next = w + 4L * k;
            for (; p + 16 <= k; p += 16)
            {
                if ((p & 31) == 0)
                {
                    Sse.Prefetch0(next + p);
                    Sse.Prefetch0(next + k + p);
                    Sse.Prefetch0(next + 2L * k + p);
                    Sse.Prefetch0(next + 3L * k + p);
                }
                Vector256<float> x0 = Avx.LoadVector256(x + p), x1 = Avx.LoadVector256(x + p + 8);
                a0 = Fma.MultiplyAdd(Widen(w0 + p), x0, a0); b0 = Fma.MultiplyAdd(Widen(w0 + p + 8), x1, b0);
                a1 = Fma.MultiplyAdd(Widen(w1 + p), x0, a1); b1 = Fma.MultiplyAdd(Widen(w1 + p + 8), x1, b1);
                a2 = Fma.MultiplyAdd(Widen(w2 + p), x0, a2); b2 = Fma.MultiplyAdd(Widen(w2 + p + 8), x1, b2);
                a3 = Fma.MultiplyAdd(Widen(w3 + p), x0, a3); b3 = Fma.MultiplyAdd(Widen(w3 + p + 8), x1, b3);
            }
            float s0 = Vector256.Sum(a0 + b0), s1 = Vector256.Sum(a1 + b1);
            float s2 = Vector256.Sum(a2 + b2), s3 = Vector256.Sum(a3 + b3);
            for (; p < k; p++)
            {
                float xv = x[p];
                s0 += Bf16ToSingle(w0[p]) * xv; s1 += Bf16ToSingle(w1[p]) * xv;
                s2 += Bf16ToSingle(w2[p]) * xv; s3 += Bf16ToSingle(w3[p]) * xv;
            }
            y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
        }

        /// <summary>8 bf16 values -> 8 floats: vpmovzxwd then shift left 16.</summary>
        private static unsafe Vector256<float> Widen(ushort* p)
            => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

        /// <summary>Portable dot of one bf16 row with x (Vector of ushort widened to two of uint).</summary>
        private static unsafe float Dot1Bf16(ushort* w, float* x, int k)
        {
            int p = 0;
            float s = 0f;
            int step = Vector<ushort>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> acc0 = Vector<float>.Zero, acc1 = Vector<float>.Zero;
                int half = Vector<float>.Count;
                for (; p + step <= k; p += step)
                {
                    var raw = new Vector<ushort>(new ReadOnlySpan<ushort>(w + p, step));
                    Vector.Widen(raw, out Vector<uint> lo, out Vector<uint> hi);
                    var flo = Vector.AsVectorSingle(Vector.ShiftLeft(lo, 16));
                    var fhi = Vector.AsVectorSingle(Vector.ShiftLeft(hi, 16));
                    acc0 += flo * new Vector<float>(new ReadOnlySpan<float>(x + p, half));
                    acc1 += fhi * new Vector<float>(new ReadOnlySpan<float>(x + p + half, half));
                }
                s = Vector.Sum(acc0 + acc1);
            }
            for (; p < k; p++) s += Bf16ToSingle(w[p]) * x[p];
            return s;
        }
    }
}
