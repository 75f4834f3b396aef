using Ssm.Engine.Devices;

namespace Ssm.Engine.Cli.Bench;

/// <summary>A kernel benchmark that can also run on devices other than the CPU (<c>ssm bench --device</c>).
/// Kernels implementing only <see cref="IKernelBench"/> run on the CPU; asking them for another device exits
/// with code 3.</summary>
public interface IDeviceKernelBench : IKernelBench
{
    /// <summary>True when the kernel can run on <paramref name="device"/> here (the device exists and the
    /// kernel has an implementation for it).</summary>
    bool Supports(DeviceSpec device);

    /// <summary>Like <see cref="IKernelBench.Setup"/>, on <paramref name="device"/>.</summary>
    void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device);
}
