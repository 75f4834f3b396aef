using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>The two ILGPU CPU accelerators (4-wide and 32-wide warps), opened once for every GPU test class in
/// <see cref="IlgpuCpuCollection"/>. Sharing them keeps context creation and kernel compilation to one per
/// device, and the collection runs its classes one after another so the slow simulator is not oversubscribed.</summary>
public sealed class IlgpuCpuDevices : IDisposable
{
    private readonly GpuDevice warp4 = GpuDevice.Create(GpuDeviceKind.IlgpuCpu);
    private readonly GpuDevice warp32 = GpuDevice.Create(GpuDeviceKind.IlgpuCpuWarp32);

    /// <summary>Theory data: both CPU accelerator kinds.</summary>
    public static TheoryData<GpuDeviceKind> Kinds => new() { GpuDeviceKind.IlgpuCpu, GpuDeviceKind.IlgpuCpuWarp32 };

    public GpuDevice Get(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.IlgpuCpu => warp4,
        GpuDeviceKind.IlgpuCpuWarp32 => warp32,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "only the CPU accelerators are shared"),
    };

    public void Dispose()
    {
        warp4.Dispose();
        warp32.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuDevices>
{
    public const string Name = "IlgpuCpu";
}
