// The process-wide table of opened ILGPU devices: one GpuDevice per DeviceSpec, opened on first use and shared
// by every device-resident tensor and op, so kernels compile once per device.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Devices;

/// <summary>Shared <see cref="GpuDevice"/> per <see cref="DeviceSpec"/>, created on first use, plus a count of the
/// device buffers currently held by tensors (what <see cref="Tensors.Tensor.Dispose"/> releases).</summary>
public static class DeviceRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<DeviceSpec, GpuDevice> Devices = [];
    private static readonly Dictionary<DeviceSpec, int> Live = [];

    /// <summary>The shared device for <paramref name="spec"/>, opened on first call. Throws
    /// <see cref="ArgumentException"/> for <c>cpu</c> and <see cref="InvalidOperationException"/> (with the reason)
    /// for an absent device. Callers must not dispose it.</summary>
    public static GpuDevice Get(DeviceSpec spec)
    {
        lock (Gate)
        {
            if (Devices.TryGetValue(spec, out var d)) return d;
            d = spec.CreateGpuDevice();
            Devices[spec] = d;
            return d;
        }
    }

    /// <summary>Number of tensor-held buffers currently allocated on <paramref name="spec"/>.</summary>
    public static int LiveBuffers(DeviceSpec spec)
    {
        lock (Gate) return Live.GetValueOrDefault(spec);
    }

    internal static void Track(DeviceSpec spec, int delta)
    {
        lock (Gate) Live[spec] = Live.GetValueOrDefault(spec) + delta;
    }
}

/// <summary>A float32 buffer on an ILGPU device, owned by one <see cref="Tensors.Storage"/> and freed by
/// <see cref="Dispose"/> (never by a finaliser).</summary>
internal sealed class DeviceBuffer : IDisposable
{
    private MemoryBuffer1D<float, Stride1D.Dense>? buffer;

    public DeviceSpec Spec { get; }

    public GpuDevice Gpu { get; }

    public long Length { get; }

    public bool IsDisposed => buffer is null;

    public DeviceBuffer(DeviceSpec spec, MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        Spec = spec;
        Gpu = DeviceRegistry.Get(spec);
        this.buffer = buffer;
        Length = buffer.Length;
        DeviceRegistry.Track(spec, +1);
    }

    /// <summary>The whole buffer as a view; throws <see cref="ObjectDisposedException"/> after Dispose.</summary>
    public ArrayView<float> View => (buffer ?? throw new ObjectDisposedException(
        $"[tensor] device buffer on {Spec} was released by Dispose()")).View;

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref buffer, null);
        if (b is null) return;
        Gpu.Synchronize(); // launches still queued on the stream may read or write this buffer
        b.Dispose();
        DeviceRegistry.Track(Spec, -1);
    }
}
