using Ssm.Engine.Devices;

namespace Ssm.Engine.Tests.Devices;

/// <summary>Opens the two ILGPU CPU simulators once (through the process-wide <see cref="DeviceRegistry"/>) for
/// every device-tensor test class; the collection runs them one after another so the simulator is not
/// oversubscribed and buffer counts are not disturbed by a parallel class.</summary>
public sealed class TensorDeviceGpuFixture
{
    public static readonly DeviceSpec Warp4 = DeviceSpec.IlgpuCpu;
    public static readonly DeviceSpec Warp32 = DeviceSpec.IlgpuCpuWarp32;

    public static TheoryData<string> Devices => new() { "ilgpu-cpu", "ilgpu-cpu-warp32" };

    public TensorDeviceGpuFixture()
    {
        DeviceRegistry.Get(Warp4);
        DeviceRegistry.Get(Warp32);
    }
}

[CollectionDefinition(Name)]
public sealed class TensorDeviceGpuCollection : ICollectionFixture<TensorDeviceGpuFixture>
{
    public const string Name = "TensorDeviceGpu";
}
