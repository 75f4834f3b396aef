// Per-accelerator kernel cache: each kernel method is compiled once per device and its launcher reused.
// Implicitly grouped kernels (first parameter Index1D/2D/3D) go through LoadAutoGroupedKernel, explicitly grouped
// ones (Grid/Group indices, shared memory) through LoadKernel, launched with a KernelConfig sized from
// GroupSize/TileSide. Launchers take the stream first (ILGPU's *StreamKernel variants bind the default stream).
// Every kernel must carry [GpuKernel] so the offline codegen test compiles it for PTX and OpenCL; loading an
// unmarked method throws.
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace Ssm.Engine.Kernels.Gpu;

public sealed partial class GpuDevice
{
    private readonly Dictionary<MethodInfo, Delegate> kernels = new();

    /// <summary>Number of kernels compiled for this device so far.</summary>
    public int LoadedKernelCount { get { lock (kernels) return kernels.Count; } }

    /// <summary>Implicitly grouped kernel with 1 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1> GetOrLoad<TIndex, T1>(Action<TIndex, T1> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        => Cached<Action<TIndex, T1>, Action<AcceleratorStream, TIndex, T1>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1>(k));

    /// <summary>Implicitly grouped kernel with 2 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2> GetOrLoad<TIndex, T1, T2>(Action<TIndex, T1, T2> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        => Cached<Action<TIndex, T1, T2>, Action<AcceleratorStream, TIndex, T1, T2>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2>(k));

    /// <summary>Implicitly grouped kernel with 3 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3>
        GetOrLoad<TIndex, T1, T2, T3>(Action<TIndex, T1, T2, T3> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        => Cached<Action<TIndex, T1, T2, T3>, Action<AcceleratorStream, TIndex, T1, T2, T3>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3>(k));

    /// <summary>Implicitly grouped kernel with 4 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3, T4>
        GetOrLoad<TIndex, T1, T2, T3, T4>(Action<TIndex, T1, T2, T3, T4> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        => Cached<Action<TIndex, T1, T2, T3, T4>, Action<AcceleratorStream, TIndex, T1, T2, T3, T4>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3, T4>(k));

    /// <summary>Implicitly grouped kernel with 5 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5>
        GetOrLoad<TIndex, T1, T2, T3, T4, T5>(Action<TIndex, T1, T2, T3, T4, T5> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        => Cached<Action<TIndex, T1, T2, T3, T4, T5>, Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3, T4, T5>(k));

    /// <summary>Implicitly grouped kernel with 6 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6>
        GetOrLoad<TIndex, T1, T2, T3, T4, T5, T6>(Action<TIndex, T1, T2, T3, T4, T5, T6> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        => Cached<Action<TIndex, T1, T2, T3, T4, T5, T6>, Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3, T4, T5, T6>(k));

    /// <summary>Implicitly grouped kernel with 7 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7>
        GetOrLoad<TIndex, T1, T2, T3, T4, T5, T6, T7>(Action<TIndex, T1, T2, T3, T4, T5, T6, T7> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        => Cached<Action<TIndex, T1, T2, T3, T4, T5, T6, T7>,
            Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3, T4, T5, T6, T7>(k));

    /// <summary>Implicitly grouped kernel with 8 parameter(s) after the index; launch with the thread count.</summary>
    public Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8>
        GetOrLoad<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>(Action<TIndex, T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where TIndex : struct, IIndex
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        => Cached<Action<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>,
            Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8>>(
            kernel, static (a, k) => a.LoadAutoGroupedKernel<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>(k));

    /// <summary>Explicitly grouped kernel with 1 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1> GetOrLoadGrouped<T1>(Action<T1> kernel)
        where T1 : struct
        => Cached<Action<T1>, Action<AcceleratorStream, KernelConfig, T1>>(
            kernel, static (a, k) => a.LoadKernel<T1>(k));

    /// <summary>Explicitly grouped kernel with 2 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2> GetOrLoadGrouped<T1, T2>(Action<T1, T2> kernel)
        where T1 : struct
        where T2 : struct
        => Cached<Action<T1, T2>, Action<AcceleratorStream, KernelConfig, T1, T2>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2>(k));

    /// <summary>Explicitly grouped kernel with 3 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3> GetOrLoadGrouped<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        => Cached<Action<T1, T2, T3>, Action<AcceleratorStream, KernelConfig, T1, T2, T3>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3>(k));

    /// <summary>Explicitly grouped kernel with 4 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4>
        GetOrLoadGrouped<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        => Cached<Action<T1, T2, T3, T4>, Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3, T4>(k));

    /// <summary>Explicitly grouped kernel with 5 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5>
        GetOrLoadGrouped<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        => Cached<Action<T1, T2, T3, T4, T5>, Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3, T4, T5>(k));

    /// <summary>Explicitly grouped kernel with 6 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6>
        GetOrLoadGrouped<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        => Cached<Action<T1, T2, T3, T4, T5, T6>, Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3, T4, T5, T6>(k));

    /// <summary>Explicitly grouped kernel with 7 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7>
        GetOrLoadGrouped<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        => Cached<Action<T1, T2, T3, T4, T5, T6, T7>,
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3, T4, T5, T6, T7>(k));

    /// <summary>Explicitly grouped kernel with 8 parameter(s); launch with a <see cref="KernelConfig"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>
        GetOrLoadGrouped<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        => Cached<Action<T1, T2, T3, T4, T5, T6, T7, T8>,
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>>(
            kernel, static (a, k) => a.LoadKernel<T1, T2, T3, T4, T5, T6, T7, T8>(k));

    private TLauncher Cached<TKernel, TLauncher>(TKernel kernel, Func<Accelerator, TKernel, TLauncher> load)
        where TKernel : Delegate
        where TLauncher : Delegate
    {
        MethodInfo method = kernel.Method;
        lock (kernels)
        {
            ThrowIfDisposed();
            if (kernels.TryGetValue(method, out Delegate? launcher)) return (TLauncher)launcher;
            GpuKernels.EnsureRegistered(method);
            TLauncher loaded = load(accelerator, kernel);
            kernels.Add(method, loaded);
            return loaded;
        }
    }
}
