// Maps the command-line device names (DeviceSpec) onto the kernels project's ILGPU devices. The kernels project
// cannot see DeviceSpec (it depends on nothing in src/), so the mapping lives here.
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Devices;

/// <summary>DeviceSpec ↔ <see cref="GpuDevice"/>.</summary>
public static class DeviceSpecGpuExtensions
{
    /// <summary>True for every device that runs ILGPU kernels (all but <see cref="DeviceKind.Cpu"/>).</summary>
    public static bool IsGpu(this DeviceSpec spec) => spec.Kind != DeviceKind.Cpu;

    /// <summary>The ILGPU device kind; throws <see cref="ArgumentException"/> for the SIMD CPU path.</summary>
    public static GpuDeviceKind ToGpuDeviceKind(this DeviceSpec spec) => spec.Kind switch
    {
        DeviceKind.IlgpuCpu => GpuDeviceKind.IlgpuCpu,
        DeviceKind.IlgpuCpuWarp32 => GpuDeviceKind.IlgpuCpuWarp32,
        DeviceKind.Cuda => GpuDeviceKind.Cuda,
        DeviceKind.OpenCL => GpuDeviceKind.OpenCL,
        _ => throw new ArgumentException($"[device] '{spec}' is not an ILGPU device", nameof(spec)),
    };

    /// <summary>The DeviceSpec naming an ILGPU device kind and index.</summary>
    public static DeviceSpec ToDeviceSpec(this GpuDeviceKind kind, int index = 0) => kind switch
    {
        GpuDeviceKind.IlgpuCpu => new DeviceSpec(DeviceKind.IlgpuCpu),
        GpuDeviceKind.IlgpuCpuWarp32 => new DeviceSpec(DeviceKind.IlgpuCpuWarp32),
        GpuDeviceKind.Cuda => new DeviceSpec(DeviceKind.Cuda, index),
        GpuDeviceKind.OpenCL => new DeviceSpec(DeviceKind.OpenCL, index),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "[device] unknown ILGPU device kind"),
    };

    /// <summary>Whether the device can be used here; the SIMD CPU path always can. Never throws.</summary>
    public static bool IsAvailable(this DeviceSpec spec, out string reason)
    {
        reason = "";
        return !spec.IsGpu() || GpuDevice.IsAvailable(spec.ToGpuDeviceKind(), spec.Index, out reason);
    }

    /// <summary>Opens the ILGPU device named by <paramref name="spec"/>; the caller disposes it. Throws
    /// <see cref="ArgumentException"/> for <c>cpu</c> and <see cref="InvalidOperationException"/> with the reason
    /// when the device is not available.</summary>
    public static GpuDevice CreateGpuDevice(this DeviceSpec spec) =>
        GpuDevice.Create(spec.ToGpuDeviceKind(), spec.Index);
}
