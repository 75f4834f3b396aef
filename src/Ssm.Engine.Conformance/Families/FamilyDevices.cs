using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Conformance.Families;

/// <summary>ILGPU devices shared by the families of one process: created on first use per
/// <see cref="DeviceSpec"/>, released when the process exits. CPU specs never reach here.</summary>
public static class FamilyDevices
{
    private static readonly Dictionary<DeviceSpec, GpuDevice> Devices = new();
    private static readonly Lock Gate = new();

    static FamilyDevices() => AppDomain.CurrentDomain.ProcessExit += (_, _) => ReleaseAll();

    /// <summary>True when <paramref name="device"/> is an ILGPU device that exists on this machine.</summary>
    public static bool IsGpuAvailable(DeviceSpec device) => device.IsGpu() && device.IsAvailable(out _);

    /// <summary>The shared <see cref="GpuDevice"/> for an ILGPU spec.</summary>
    public static GpuDevice Get(DeviceSpec device)
    {
        lock (Gate)
        {
            if (!Devices.TryGetValue(device, out var d))
            {
                d = device.CreateGpuDevice();
                Devices[device] = d;
            }
            return d;
        }
    }

    /// <summary>Disposes every device created so far.</summary>
    public static void ReleaseAll()
    {
        lock (Gate)
        {
            foreach (var d in Devices.Values) d.Dispose();
            Devices.Clear();
        }
    }
}
