using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

public sealed class NativeLibraryResolverTests
{
    [Theory]
    [InlineData("cuda", "libcuda.so.1")]
    [InlineData("libcuda.so", "libcuda.so.1")]
    [InlineData("OpenCL", "libOpenCL.so.1")]
    [InlineData("libOpenCL.so", "libOpenCL.so.1")]
    public void LinuxCandidates_StartWithTheDriverSoname(string requested, string first)
    {
        Assert.Equal(first, NativeLibraryResolver.LinuxCandidates(requested)[0]);
    }

    [Fact]
    public void LinuxCandidates_IncludeTheWslDriverFolder_ForCuda()
    {
        Assert.Contains("/usr/lib/wsl/lib/libcuda.so.1", NativeLibraryResolver.LinuxCandidates("cuda"));
    }

    [Theory]
    [InlineData("libc")]
    [InlineData("nvvm")]
    [InlineData("kernel32")]
    public void LinuxCandidates_AreEmpty_ForLibrariesItDoesNotOwn(string requested)
    {
        Assert.Empty(NativeLibraryResolver.LinuxCandidates(requested));
    }

    [Fact]
    public void Install_IsIdempotent()
    {
        NativeLibraryResolver.Install();
        NativeLibraryResolver.Install();
        Assert.True(NativeLibraryResolver.IsInstalled);
    }

    [Fact]
    public void CanLoad_ReportsTheNamesTried_ForCuda()
    {
        bool loaded = NativeLibraryResolver.CanLoad(GpuDeviceKind.Cuda, out string tried);
        Assert.Contains("cuda", tried);
        if (OperatingSystem.IsLinux()) Assert.Contains("libcuda.so.1", tried);
        Assert.Equal(loaded, NativeLibraryResolver.CanLoad(GpuDeviceKind.Cuda, out _));
    }
}
