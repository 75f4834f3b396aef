// Availability probing: answers "can this device be opened here, and if not why" without ever throwing.
using ILGPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Ssm.Engine.Kernels.Gpu;

public sealed partial class GpuDevice
{
    /// <summary>True when <see cref="Create"/> would find the device; otherwise false with a one-line
    /// <paramref name="reason"/> (missing driver library, no device, device lacking a feature ILGPU needs).
    /// Never throws.</summary>
    public static bool IsAvailable(GpuDeviceKind kind, int index, out string reason)
    {
        try
        {
            return Probe(kind, index, out reason);
        }
        catch (Exception e)
        {
            reason = $"probing {Describe(kind, index)} failed: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    private static bool Probe(GpuDeviceKind kind, int index, out string reason)
    {
        reason = "";
        if (index < 0)
        {
            reason = $"device index {index} is negative";
            return false;
        }
        switch (kind)
        {
            case GpuDeviceKind.IlgpuCpu or GpuDeviceKind.IlgpuCpuWarp32:
                if (index == 0) return true;
                reason = $"{Describe(kind, 0)} takes no index";
                return false;
            case GpuDeviceKind.Cuda:
                return ProbeCuda(index, out reason);
            case GpuDeviceKind.OpenCL:
                return ProbeOpenCL(index, out reason);
            default:
                reason = $"unknown device kind {kind}";
                return false;
        }
    }

    private static bool ProbeCuda(int index, out string reason)
    {
        NativeLibraryResolver.Install();
        if (!NativeLibraryResolver.CanLoad(GpuDeviceKind.Cuda, out string tried))
        {
            reason = $"the NVIDIA driver library cannot be loaded (tried {tried}): no NVIDIA driver installed";
            return false;
        }
        using var context = CreateContext(GpuDeviceKind.Cuda);
        int count = context.GetCudaDevices().Count;
        reason = count == 0 ? "the NVIDIA driver is installed but reports no usable CUDA device"
            : index >= count ? $"cuda:{index} requested but only {count} CUDA device(s) found" : "";
        return index < count;
    }

    private static bool ProbeOpenCL(int index, out string reason)
    {
        reason = "";
        NativeLibraryResolver.Install();
        if (!NativeLibraryResolver.CanLoad(GpuDeviceKind.OpenCL, out string tried))
        {
            reason = $"the OpenCL ICD loader cannot be loaded (tried {tried}): install an OpenCL runtime";
            return false;
        }
        using (var context = CreateContext(GpuDeviceKind.OpenCL))
        {
            int count = context.GetCLDevices().Count;
            if (index < count) return true;
            if (count > 0)
            {
                reason = $"opencl:{index} requested but only {count} usable OpenCL device(s) found";
                return false;
            }
        }
        // ILGPU registers only OpenCL C >= 2.0 devices with the generic address space: say which ones were dropped.
        using var all = Context.Create(b => b.OpenCL(_ => true));
        var rejected = new List<string>();
        foreach (CLDevice d in all.GetCLDevices())
            rejected.Add($"{d.Name} ({d.VendorName}, OpenCL C {d.CLStdVersion}, "
                + $"generic address space {(d.Capabilities.GenericAddressSpace ? "yes" : "no")})");
        reason = rejected.Count == 0 ? "no OpenCL platform reports a device"
            : "no OpenCL device ILGPU can use (it needs OpenCL C 2.0 with the generic address space): "
              + string.Join("; ", rejected);
        return false;
    }
}
