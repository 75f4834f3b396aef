using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Gpu;

public static partial class Elementwise
{
    /// <summary>ILGPU kernels. The span overloads copy in, launch and copy out (synchronous); the
    /// <see cref="ArrayView{T}"/> overloads only enqueue on <see cref="GpuDevice.Stream"/>.</summary>
    public static class Gpu
    {
        /// <summary>y[i] = f(x[i]).</summary>
        public static void Map<TOp>(GpuDevice device, ReadOnlySpan<float> x, Span<float> y)
            where TOp : struct, IUnaryOperator
        {
            ValidateSameLength("map", "x", x.Length, "y", y.Length);
            if (x.Length == 0) return;
            using var dx = device.Upload(x);
            Map<TOp>(device, dx.View, dx.View);
            device.Download(dx.View, y);
        }

        /// <summary>y[i] = f(x[i]) on device views (x and y may be the same view).</summary>
        public static void Map<TOp>(GpuDevice device, ArrayView<float> x, ArrayView<float> y)
            where TOp : struct, IUnaryOperator
        {
            ValidateSameLength("map", "x", x.Length, "y", y.Length);
            if (x.Length == 0) return;
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>>(MapKernel<TOp>)(
                device.Stream, (int)x.Length, x, y);
        }

        /// <summary>y[i] = f(a[i], b[i]).</summary>
        public static void Zip<TOp>(GpuDevice device, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
            where TOp : struct, IBinaryOperator
        {
            ValidateSameLength("zip", "a", a.Length, "b", b.Length);
            ValidateSameLength("zip", "a", a.Length, "y", y.Length);
            if (a.Length == 0) return;
            using var da = device.Upload(a);
            using var db = device.Upload(b);
            Zip<TOp>(device, da.View, db.View, da.View);
            device.Download(da.View, y);
        }

        /// <summary>y[i] = f(a[i], b[i]) on device views (y may alias a or b).</summary>
        public static void Zip<TOp>(GpuDevice device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
            where TOp : struct, IBinaryOperator
        {
            ValidateSameLength("zip", "a", a.Length, "b", b.Length);
            ValidateSameLength("zip", "a", a.Length, "y", y.Length);
            if (a.Length == 0) return;
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ZipKernel<TOp>)(
                device.Stream, (int)a.Length, a, b, y);
        }

        /// <summary>y[r] = reduction of row r of x (rows, cols). Deterministic: the combination order depends only
        /// on <see cref="GpuDevice.GroupSize"/>, so repeated runs on one device are bit-identical.</summary>
        public static void ReduceRows<TOp>(GpuDevice device, ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
            where TOp : struct, IReduceOperator
        {
            ValidateReduceRows(x.Length, rows, cols, y.Length);
            if (rows == 0) return;
            using var dx = device.Upload(x);
            using var dy = device.Allocate(rows);
            ReduceRows<TOp>(device, dx.View, rows, cols, dy.View);
            device.Download(dy.View, y);
        }

        /// <summary>Row reduction on device views; x: (rows, cols) row-major, y: (rows).</summary>
        public static void ReduceRows<TOp>(GpuDevice device, ArrayView<float> x, int rows, int cols,
            ArrayView<float> y)
            where TOp : struct, IReduceOperator
        {
            ValidateReduceRows(x.Length, rows, cols, y.Length);
            if (rows == 0) return;
            int group = device.GroupSize;
            var config = new KernelConfig(new Index1D(rows), new Index1D(group),
                SharedMemoryConfig.RequestDynamic<float>(group));
            device.GetOrLoadGrouped<ArrayView<float>, ArrayView<float>, int>(ReduceRowsKernel<TOp>)(
                device.Stream, config, x, y, cols);
        }

        // x, y: (n), one thread per element.
        [GpuKernel]
        internal static void MapKernel<TOp>(Index1D i, ArrayView<float> x, ArrayView<float> y)
            where TOp : struct, IUnaryOperator
            => y[i] = default(TOp).Apply(x[i]);

        // a, b, y: (n), one thread per element.
        [GpuKernel]
        internal static void ZipKernel<TOp>(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
            where TOp : struct, IBinaryOperator
            => y[i] = default(TOp).Apply(a[i], b[i]);

        // x: (rows, cols) -> y: (rows); one group of G threads (G a power of two, dynamic shared memory of G floats)
        // per row. Thread t folds columns t, t+G, t+2G, … in order, then a shared-memory tree halves the G partials
        // (s = G/2, G/4, …, 1) with a barrier per level. No atomics and a fixed order: the result is reproducible.
        // Plain shared memory rather than warp shuffles keeps the kernel valid on every OpenCL vendor.
        [GpuKernel]
        internal static void ReduceRowsKernel<TOp>(ArrayView<float> x, ArrayView<float> y, int cols)
            where TOp : struct, IReduceOperator
        {
            TOp op = default;
            ArrayView<float> partial = SharedMemory.GetDynamic<float>();
            int row = Grid.IdxX, t = Group.IdxX, g = Group.DimX;
            int rowStart = row * cols;
            float acc = op.Identity;
            for (int c = t; c < cols; c += g) acc = op.Apply(acc, x[rowStart + c]);
            partial[t] = acc;
            Group.Barrier();
            for (int s = g / 2; s > 0; s /= 2)
            {
                if (t < s) partial[t] = op.Apply(partial[t], partial[t + s]);
                Group.Barrier();
            }
            if (t == 0) y[row] = partial[0];
        }
    }
}
