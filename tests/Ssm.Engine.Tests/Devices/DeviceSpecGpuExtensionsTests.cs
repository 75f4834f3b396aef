using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Tests.Devices;

public sealed class DeviceSpecGpuExtensionsTests
{
    [Theory]
    [InlineData("ilgpu-cpu", GpuDeviceKind.IlgpuCpu, 0)]
    [InlineData("ilgpu-cpu-warp32", GpuDeviceKind.IlgpuCpuWarp32, 0)]
    [InlineData("cuda", GpuDeviceKind.Cuda, 0)]
    [InlineData("cuda:1", GpuDeviceKind.Cuda, 1)]
    [InlineData("opencl:2", GpuDeviceKind.OpenCL, 2)]
    public void ToGpuDeviceKind_MapsEveryCommandLineName(string text, GpuDeviceKind kind, int index)
    {
        DeviceSpec spec = DeviceSpec.Parse(text);
        Assert.True(spec.IsGpu());
        Assert.Equal(kind, spec.ToGpuDeviceKind());
        Assert.Equal(index, spec.Index);
        Assert.Equal(spec, kind.ToDeviceSpec(index));
        Assert.Equal(spec.ToString(), GpuDevice.Describe(kind, index));
    }

    [Fact]
    public void ToGpuDeviceKind_Throws_ForTheSimdCpuPath()
    {
        Assert.False(DeviceSpec.Cpu.IsGpu());
        var e = Assert.Throws<ArgumentException>(() => DeviceSpec.Cpu.ToGpuDeviceKind());
        Assert.Contains("[device] 'cpu' is not an ILGPU device", e.Message);
    }

    [Fact]
    public void IsAvailable_IsTrue_ForCpuAndTheIlgpuCpuAccelerator()
    {
        Assert.True(DeviceSpec.Cpu.IsAvailable(out _));
        Assert.True(DeviceSpec.Parse("ilgpu-cpu").IsAvailable(out _));
    }

    [Fact]
    public void IsAvailable_GivesAReason_ForAMissingCudaDevice()
    {
        // Index 63 exists on no machine this runs on.
        Assert.False(DeviceSpec.Parse("cuda:63").IsAvailable(out string reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void CreateGpuDevice_OpensTheWarp32Simulator()
    {
        using GpuDevice device = DeviceSpec.Parse("ilgpu-cpu-warp32").CreateGpuDevice();
        Assert.Equal(GpuDeviceKind.IlgpuCpuWarp32, device.Kind);
        Assert.Equal(32, device.WarpSize);
    }
}
