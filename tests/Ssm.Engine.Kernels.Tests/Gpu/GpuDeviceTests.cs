using ILGPU;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

[Collection(IlgpuCpuCollection.Name)]
public sealed class GpuDeviceTests(IlgpuCpuDevices devices)
{
    [Theory]
    [InlineData(GpuDeviceKind.IlgpuCpu, 4, 4)]
    [InlineData(GpuDeviceKind.IlgpuCpuWarp32, 32, 8)]
    public void Create_ConfiguresWarpAndGroupSizes_ForEachCpuAccelerator(GpuDeviceKind kind, int warp, int tile)
    {
        var device = devices.Get(kind);
        Assert.Equal(warp, device.WarpSize);
        Assert.Equal(tile, device.TileSide);
        Assert.True(device.GroupSize <= device.MaxGroupSize);
        Assert.True(device.GroupSize <= GpuDevice.PreferredGroupSize);
        Assert.Equal(0, device.GroupSize & (device.GroupSize - 1));
        Assert.True(device.TileSide * device.TileSide <= device.GroupSize);
    }

    [Theory]
    [InlineData(GpuDeviceKind.Cuda)]
    [InlineData(GpuDeviceKind.OpenCL)]
    public void IsAvailable_ReturnsFalseWithReason_WhenNoDriverOrDevice(GpuDeviceKind kind)
    {
        // The CI machine has no GPU (and no usable OpenCL device); elsewhere the probe must at least not throw.
        bool available = GpuDevice.IsAvailable(kind, 0, out string reason);
        if (available) return;
        Assert.False(string.IsNullOrWhiteSpace(reason));
        var e = Assert.Throws<InvalidOperationException>(() => GpuDevice.Create(kind, 0));
        Assert.Contains(GpuDevice.Describe(kind, 0), e.Message);
    }

    [Theory]
    [InlineData(GpuDeviceKind.Cuda, 64)]
    [InlineData(GpuDeviceKind.OpenCL, 64)]
    [InlineData(GpuDeviceKind.IlgpuCpu, 1)]
    [InlineData(GpuDeviceKind.Cuda, -1)]
    public void IsAvailable_ReturnsFalseWithReason_ForIndicesThatCannotExist(GpuDeviceKind kind, int index)
    {
        Assert.False(GpuDevice.IsAvailable(kind, index, out string reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void IsAvailable_ReturnsTrue_ForTheCpuAccelerators()
    {
        Assert.True(GpuDevice.IsAvailable(GpuDeviceKind.IlgpuCpu, 0, out _));
        Assert.True(GpuDevice.IsAvailable(GpuDeviceKind.IlgpuCpuWarp32, 0, out _));
    }

    [Fact]
    public void GetOrLoad_CompilesOnce_AndReturnsTheCachedLauncher()
    {
        using var device = GpuDevice.Create(GpuDeviceKind.IlgpuCpu);
        var first = device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>>(
            Elementwise.Gpu.MapKernel<ExpOperator>);
        var second = device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>>(
            Elementwise.Gpu.MapKernel<ExpOperator>);
        Assert.Same(first, second);
        Assert.Equal(1, device.LoadedKernelCount);
        device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>>(Elementwise.Gpu.MapKernel<SiluOperator>);
        Assert.Equal(2, device.LoadedKernelCount);
    }

    [Fact]
    public void GetOrLoad_Throws_ForKernelsMissingTheAttribute()
    {
        var device = devices.Get(GpuDeviceKind.IlgpuCpu);
        var e = Assert.Throws<InvalidOperationException>(() =>
            device.GetOrLoad<Index1D, ArrayView<float>>(UnregisteredKernel));
        Assert.Contains("lacks [GpuKernel]", e.Message);
    }

    [Theory, MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void UploadDownload_RoundTripsExactly(GpuDeviceKind kind)
    {
        var device = devices.Get(kind);
        float[] x = Close.Random(61, 33);
        using var buffer = device.Upload(x);
        var back = new float[x.Length];
        device.Download(buffer.View, back);
        Assert.Equal(x, back);
        device.CopyFrom(new float[x.Length], buffer.View);
        device.Download(buffer.View, back);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Download_Throws_WhenLengthsDiffer()
    {
        var device = devices.Get(GpuDeviceKind.IlgpuCpu);
        using var buffer = device.Allocate(4);
        var e = Assert.Throws<ArgumentException>(() => device.Download(buffer.View, new float[5]));
        Assert.Contains("device view holds 4 values, host span 5", e.Message);
    }

    [Fact]
    public void Dispose_IsIdempotent_AndLaterUseThrows()
    {
        var device = GpuDevice.Create(GpuDeviceKind.IlgpuCpu);
        var buffer = device.Allocate(8);
        device.Dispose();
        device.Dispose();
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Allocate(1));
        Assert.Throws<ObjectDisposedException>(() =>
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>>(Elementwise.Gpu.MapKernel<ExpOperator>));
    }

    [Fact]
    public void Create_Throws_WhenCpuAcceleratorGetsAnIndex()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuDevice.Create(GpuDeviceKind.IlgpuCpu, 1));
    }

    private static void UnregisteredKernel(Index1D i, ArrayView<float> x) => x[i] = 0f;
}
