// ILGPU strided copy: one thread per copied element.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Layout;

public static partial class ViewCopy
{
    /// <summary>ILGPU path. The span overload uploads, runs and downloads; the view overload only enqueues.
    /// </summary>
    public static class Gpu
    {
        /// <summary>Host spans: <paramref name="dst"/> keeps its values outside the layout.</summary>
        public static void Copy(GpuDevice device, in ViewCopyLayout l, ReadOnlySpan<float> src, Span<float> dst)
        {
            Validate(l, src.Length, dst.Length);
            if (l.Count == 0) return;
            using var ds = device.Upload(src);
            using var dd = device.Upload(dst);
            Copy(device, l, ds.View, dd.View);
            device.Download(dd.View, dst);
        }

        /// <summary>Device views (enqueued, not synchronised). Source and destination must not overlap.</summary>
        public static void Copy(GpuDevice device, in ViewCopyLayout l, ArrayView<float> src, ArrayView<float> dst)
        {
            Validate(l, src.Length, dst.Length);
            if (l.Count == 0) return;
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ViewCopyLayout>(CopyKernel)(
                device.Stream, l.Count, src, dst, l);
        }

        [GpuKernel]
        internal static void CopyKernel(Index1D i, ArrayView<float> src, ArrayView<float> dst, ViewCopyLayout l)
        {
            l.Positions(i, out int s, out int d);
            dst[d] = src[s];
        }
    }
}
