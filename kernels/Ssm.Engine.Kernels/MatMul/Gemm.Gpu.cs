using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.MatMul;

public static partial class Gemm
{
    /// <summary>ILGPU path, same contract as <see cref="Reference.Sgemm"/>. The span overloads copy in, launch and
    /// copy out (synchronous); the <see cref="ArrayView{T}"/> overloads only enqueue on
    /// <see cref="GpuDevice.Stream"/>. Results are deterministic (no atomics; fixed summation order per
    /// device).</summary>
    public static class Gpu
    {
        /// <summary>C = alpha · op(A) · op(B) + beta · C on host spans.</summary>
        public static void Sgemm(GpuDevice device, bool transA, bool transB, int m, int n, int k, float alpha,
            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        {
            Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
            if (m == 0 || n == 0) return;
            using var da = device.Upload(a);
            using var db = device.Upload(b);
            using var dc = device.Upload(c);
            Sgemm(device, transA, transB, m, n, k, alpha, da.View, lda, db.View, ldb, beta, dc.View, ldc);
            device.Download(dc.View, c);
        }

        /// <summary>C = alpha · op(A) · op(B) + beta · C on device views (enqueued, not synchronised).</summary>
        public static void Sgemm(GpuDevice device, bool transA, bool transB, int m, int n, int k, float alpha,
            ArrayView<float> a, int lda, ArrayView<float> b, int ldb, float beta, ArrayView<float> c, int ldc)
        {
            Validate(transA, transB, m, n, k, ViewLength(a, "A"), lda, ViewLength(b, "B"), ldb, ViewLength(c, "C"),
                ldc);
            if (m == 0 || n == 0) return;
            int t = device.TileSide;
            var config = new KernelConfig(new Index2D((n + t - 1) / t, (m + t - 1) / t), new Index2D(t, t),
                SharedMemoryConfig.RequestDynamic<float>(2 * t * t));
            var args = new GemmArgs(transA, transB, m, n, k, lda, ldb, ldc, alpha, beta);
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(SgemmKernel)(
                device.Stream, config, a, b, c, args);
        }

        /// <summary>y (M) = alpha · op(A) (M, K) · x (K) + beta · y on host spans: <see cref="Sgemm(GpuDevice,
        /// bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float,
        /// Span{float}, int)"/> with N = 1.</summary>
        public static void Sgemv(GpuDevice device, bool transA, int m, int k, float alpha, ReadOnlySpan<float> a,
            int lda, ReadOnlySpan<float> x, float beta, Span<float> y)
        {
            Validate(transA, false, m, 1, k, a.Length, lda, x.Length, 1, y.Length, 1);
            if (m == 0) return;
            using var da = device.Upload(a);
            using var dx = device.Upload(x);
            using var dy = device.Upload(y);
            Sgemv(device, transA, m, k, alpha, da.View, lda, dx.View, beta, dy.View);
            device.Download(dy.View, y);
        }

        /// <summary>y = alpha · op(A) · x + beta · y on device views (enqueued, not synchronised).</summary>
        public static void Sgemv(GpuDevice device, bool transA, int m, int k, float alpha, ArrayView<float> a,
            int lda, ArrayView<float> x, float beta, ArrayView<float> y)
        {
            Validate(transA, false, m, 1, k, ViewLength(a, "A"), lda, ViewLength(x, "x"), 1, ViewLength(y, "y"), 1);
            if (m == 0) return;
            var args = new GemmArgs(transA, false, m, 1, k, lda, 1, 1, alpha, beta);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(SgemvKernel)(
                device.Stream, m, a, x, y, args);
        }

        private static int ViewLength(ArrayView<float> view, string name) => view.Length <= int.MaxValue
            ? (int)view.Length
            : throw new ArgumentException($"[gemm] {name} holds {view.Length} values, more than int.MaxValue");

        /// <summary>Sizes, strides and scalars of one call; flags are ints because OpenCL forbids bool kernel
        /// arguments.</summary>
        internal readonly struct GemmArgs(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc,
            float alpha, float beta)
        {
            public readonly int TransA = transA ? 1 : 0, TransB = transB ? 1 : 0;
            public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
            public readonly float Alpha = alpha, Beta = beta;
        }

        // a: op(A) (M, K), b: op(B) (K, N), c: (M, N), all row-major with strides lda/ldb/ldc.
        // Group (t, t) computes the t×t block of C at (Grid.IdxY·t, Grid.IdxX·t): for each K-slab of width t it
        // stages the A block (t×t) and B block (t×t) in dynamic shared memory [A | B], zero-padded past the edges,
        // then each thread accumulates its dot product over the slab in k order. Group.DimX = t comes from
        // GpuDevice.TileSide (16 on GPUs, 8 and 4 on the CPU accelerators).
        [GpuKernel]
        internal static void SgemmKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs p)
        {
            ArrayView<float> tiles = SharedMemory.GetDynamic<float>();
            int t = Group.DimX, tx = Group.IdxX, ty = Group.IdxY;
            int row = Grid.IdxY * t + ty, col = Grid.IdxX * t + tx;
            int tt = t * t;
            float acc = 0f;
            for (int k0 = 0; k0 < p.K; k0 += t)
            {
                int ka = k0 + tx, kb = k0 + ty;
                tiles[ty * t + tx] = row < p.M && ka < p.K
                    ? (p.TransA != 0 ? a[ka * p.Lda + row] : a[row * p.Lda + ka]) : 0f;
                tiles[tt + ty * t + tx] = kb < p.K && col < p.N
                    ? (p.TransB != 0 ? b[col * p.Ldb + kb] : b[kb * p.Ldb + col]) : 0f;
                Group.Barrier();
                for (int kk = 0; kk < t; kk++) acc += tiles[ty * t + kk] * tiles[tt + kk * t + tx];
                Group.Barrier();
            }
            if (row < p.M && col < p.N)
            {
                int ci = row * p.Ldc + col;
                c[ci] = KernelMath.Axpby(p.Alpha, acc, p.Beta, c[ci]);
            }
        }

        // a: op(A) (M, K), x: (K), y: (M); one thread per output row, k in order.
        [GpuKernel]
        internal static void SgemvKernel(Index1D i, ArrayView<float> a, ArrayView<float> x, ArrayView<float> y,
            GemmArgs p)
        {
            float acc = 0f;
            for (int k = 0; k < p.K; k++)
                acc += (p.TransA != 0 ? a[k * p.Lda + i] : a[i * p.Lda + k]) * x[k];
            y[i] = KernelMath.Axpby(p.Alpha, acc, p.Beta, y[i]);
        }
    }
}
