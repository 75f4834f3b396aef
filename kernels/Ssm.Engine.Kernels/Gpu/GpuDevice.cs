// One ILGPU context + accelerator for one requested device, with its kernel cache and buffer helpers.
// Every resource is released by Dispose (buffers by their own Dispose); nothing relies on a finaliser.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>The ILGPU devices the kernels can run on (the SIMD CPU path is not one of them).</summary>
public enum GpuDeviceKind
{
    /// <summary>ILGPU's CPU accelerator with its default 4-wide warps and 16-thread groups.</summary>
    IlgpuCpu,
    /// <summary>ILGPU's CPU accelerator configured like an NVIDIA GPU (32-wide warps, 1024-thread groups).</summary>
    IlgpuCpuWarp32,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA (PTX) backend.</summary>
    Cuda,
    /// <summary>An OpenCL 2.0+ device with generic address space support.</summary>
    OpenCL,
}

/// <summary>Owns an ILGPU <see cref="ILGPU.Context"/> and <see cref="ILGPU.Runtime.Accelerator"/> for one device.
/// Kernels are compiled once per device (<see cref="GetOrLoad{TIndex, T1}"/> and overloads); transfers are
/// explicit (<see cref="Upload"/>, <see cref="Download"/>).</summary>
public sealed partial class GpuDevice : IDisposable
{
    /// <summary>Upper bound on threads per group used by the kernels: 256 keeps register pressure and
    /// occupancy sane on GPUs, and the CPU simulator slow-but-bounded.</summary>
    public const int PreferredGroupSize = 256;

    /// <summary>Group size cap on ILGPU's CPU accelerators: they run every thread of a group as an OS thread and
    /// pay a context switch per thread at each barrier, so 64 (two 32-wide warps) keeps tests fast while still
    /// crossing warp boundaries.</summary>
    public const int CpuAcceleratorGroupSize = 64;

    private readonly Context context;
    private readonly Accelerator accelerator;
    private bool disposed;

    private GpuDevice(GpuDeviceKind kind, int index, Context context, Accelerator accelerator)
    {
        Kind = kind;
        Index = index;
        this.context = context;
        this.accelerator = accelerator;
        int cap = kind is GpuDeviceKind.IlgpuCpu or GpuDeviceKind.IlgpuCpuWarp32
            ? CpuAcceleratorGroupSize : PreferredGroupSize;
        GroupSize = FloorPow2(Math.Min(cap, accelerator.MaxNumThreadsPerGroup));
        int side = 1;
        while ((side * 2) * (side * 2) <= GroupSize) side *= 2;
        TileSide = side;
    }

    /// <summary>Which kind of device this is.</summary>
    public GpuDeviceKind Kind { get; }

    /// <summary>Index among the devices of <see cref="Kind"/> (always 0 for the CPU accelerators).</summary>
    public int Index { get; }

    /// <summary>The accelerator's name as the driver reports it.</summary>
    public string Name => accelerator.Name;

    /// <summary>The ILGPU accelerator, for kernels that launch through it directly.</summary>
    public Accelerator Accelerator { get { ThrowIfDisposed(); return accelerator; } }

    /// <summary>The stream every launch helper in the kernels project enqueues on.</summary>
    public AcceleratorStream Stream { get { ThrowIfDisposed(); return accelerator.DefaultStream; } }

    /// <summary>Threads per warp (4 on the default CPU accelerator, 32 on NVIDIA and the warp-32 simulator).</summary>
    public int WarpSize => accelerator.WarpSize;

    /// <summary>The device limit on threads per group.</summary>
    public int MaxGroupSize => accelerator.MaxNumThreadsPerGroup;

    /// <summary>1-D group size for explicitly grouped kernels: the largest power of two ≤
    /// min(<see cref="PreferredGroupSize"/>, <see cref="MaxGroupSize"/>), or ≤ <see cref="CpuAcceleratorGroupSize"/>
    /// on the CPU accelerators.</summary>
    public int GroupSize { get; }

    /// <summary>Side t of a square t×t group (a power of two with t² ≤ <see cref="GroupSize"/>), used by tiled
    /// kernels: 16 on GPUs, 8 on the warp-32 simulator, 4 on the default CPU accelerator.</summary>
    public int TileSide { get; }

    /// <summary>Opens the requested device; throws <see cref="InvalidOperationException"/> with the reason when it
    /// is not available (see <see cref="IsAvailable"/>).</summary>
    public static GpuDevice Create(GpuDeviceKind kind, int index = 0)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "[gpu] device index must be >= 0");
        if (kind is GpuDeviceKind.IlgpuCpu or GpuDeviceKind.IlgpuCpuWarp32 && index != 0)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"[gpu] {Describe(kind, 0)} takes no device index");
        NativeLibraryResolver.Install();
        Context? context = null;
        try
        {
            context = CreateContext(kind);
            Accelerator accelerator = kind switch
            {
                GpuDeviceKind.IlgpuCpu or GpuDeviceKind.IlgpuCpuWarp32 => context.CreateCPUAccelerator(0),
                GpuDeviceKind.Cuda => context.CreateCudaAccelerator(
                    RequireIndex(context.GetCudaDevices().Count, kind, index)),
                GpuDeviceKind.OpenCL => context.CreateCLAccelerator(
                    RequireIndex(context.GetCLDevices().Count, kind, index)),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "[gpu] unknown device kind"),
            };
            return new GpuDevice(kind, index, context, accelerator);
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    private static int RequireIndex(int count, GpuDeviceKind kind, int index)
    {
        if (index < count) return index;
        IsAvailable(kind, index, out string reason);
        throw new InvalidOperationException($"[gpu] {Describe(kind, index)} is not available: {reason}");
    }

    /// <summary>The ILGPU context for <paramref name="kind"/>, always with the algorithms library enabled (PTX needs
    /// it for exp/log and the group/warp helpers).</summary>
    internal static Context CreateContext(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.IlgpuCpu => Context.Create(b => b.CPU(CPUDeviceKind.Default).EnableAlgorithms()),
        GpuDeviceKind.IlgpuCpuWarp32 => Context.Create(b => b.CPU(CPUDeviceKind.Nvidia).EnableAlgorithms()),
        GpuDeviceKind.Cuda => Context.Create(b => b.Cuda().EnableAlgorithms()),
        GpuDeviceKind.OpenCL => Context.Create(b => b.OpenCL().EnableAlgorithms()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "[gpu] unknown device kind"),
    };

    /// <summary>The command-line spelling of a device: <c>ilgpu-cpu</c>, <c>ilgpu-cpu-warp32</c>, <c>cuda:i</c>,
    /// <c>opencl:i</c>.</summary>
    public static string Describe(GpuDeviceKind kind, int index) => kind switch
    {
        GpuDeviceKind.IlgpuCpu => "ilgpu-cpu",
        GpuDeviceKind.IlgpuCpuWarp32 => "ilgpu-cpu-warp32",
        GpuDeviceKind.Cuda => $"cuda:{index}",
        GpuDeviceKind.OpenCL => $"opencl:{index}",
        _ => kind.ToString(),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Describe(Kind, Index)} ({Name}, warp {WarpSize}, group ≤ {MaxGroupSize})";

    /// <summary>Waits for every launch and copy enqueued on <see cref="Stream"/>.</summary>
    public void Synchronize() => Stream.Synchronize();

    /// <summary>Allocates <paramref name="length"/> zero-filled floats on the device; the caller disposes it.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Allocate(long length)
    {
        ThrowIfDisposed();
        var buffer = accelerator.Allocate1D<float>(length);
        buffer.View.MemSetToZero(accelerator.DefaultStream);
        return buffer;
    }

    /// <summary>Allocates a device buffer holding a copy of <paramref name="data"/>. The caller disposes it.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(ReadOnlySpan<float> data)
    {
        ThrowIfDisposed();
        var buffer = accelerator.Allocate1D<float>(data.Length);
        try
        {
            if (data.Length > 0) buffer.View.CopyFromCPU(accelerator.DefaultStream, data);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Copies <paramref name="source"/> (length = <paramref name="destination"/>.Length) into host memory,
    /// after every launch enqueued before it has finished.</summary>
    public void Download(ArrayView<float> source, Span<float> destination)
    {
        ThrowIfDisposed();
        if (source.Length != destination.Length)
            throw new ArgumentException(
                $"[gpu] download: device view holds {source.Length} values, host span {destination.Length}");
        if (destination.Length == 0) return;
        accelerator.DefaultStream.Synchronize();
        source.CopyToCPU(accelerator.DefaultStream, destination);
        accelerator.DefaultStream.Synchronize();
    }

    /// <summary>Copies <paramref name="source"/> into an existing device view of the same length.</summary>
    public void CopyFrom(ReadOnlySpan<float> source, ArrayView<float> destination)
    {
        ThrowIfDisposed();
        if (source.Length != destination.Length)
            throw new ArgumentException(
                $"[gpu] upload: host span holds {source.Length} values, device view {destination.Length}");
        if (source.Length > 0) destination.CopyFromCPU(accelerator.DefaultStream, source);
    }

    /// <summary>Releases the compiled kernels, the accelerator (and any buffer still allocated on it) and the
    /// context, in that order.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        lock (kernels) kernels.Clear();
        accelerator.Dispose();
        context.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    private static int FloorPow2(int x)
    {
        int p = 1;
        while (p * 2 <= x) p *= 2;
        return p;
    }
}
