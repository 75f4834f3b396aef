using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Devices;
using static Ssm.Engine.Cli.Tests.Commands.CliHarness;

namespace Ssm.Engine.Cli.Tests.Bench;

/// <summary><c>ssm bench --device</c> for the scan, state-update and SSD benches: the Gpu kernels run (after their
/// Reference check in Setup) on the ILGPU CPU accelerators, and an absent device exits 3 with the reason.</summary>
public class ScanSsdKernelBenchGpuTests
{
    private static CliServices Benches() => Services(benches:
    [
        new ScanKernelBench(), new ScanBackwardKernelBench(), new StateUpdateKernelBench(), new SsdKernelBench(),
        new SsdChunkedKernelBench(), new SsdRecurrentKernelBench(), new SsdBackwardKernelBench(),
    ]);

    [Theory]
    [InlineData("scan", "ilgpu-cpu", "B=1,D=4,L=16,N=4")]
    [InlineData("scan-bwd", "ilgpu-cpu-warp32", "B=1,D=4,L=16,N=4")]
    [InlineData("state-update", "ilgpu-cpu", "B=2,D=8,N=4")]
    [InlineData("ssd", "ilgpu-cpu", "B=1,L=16,H=2,P=4,N=4,G=1,Q=8")]
    [InlineData("ssd-chunked", "ilgpu-cpu-warp32", "B=1,L=16,H=2,P=4,N=4,G=1,Q=8")]
    [InlineData("ssd-recurrent", "ilgpu-cpu", "B=1,L=16,H=2,P=4,N=4,G=1,Q=8")]
    [InlineData("ssd-bwd", "ilgpu-cpu", "B=1,L=16,H=2,P=4,N=4,G=1,Q=8")]
    public void IlgpuCpuDevice_RunsTheGpuKernel_Exit0(string kernel, string device, string shape)
    {
        var (exit, stdout, err) = Run(Benches(), "bench", kernel, "--device", device, "--shape", shape,
            "--repeat", "1");
        Assert.True(exit == 0, err);
        Assert.Contains($"device     {device}", stdout);
        // The scan forward times device-resident inputs; the others go through the host overloads.
        Assert.Contains(kernel == "scan" ? "device-resident" : "host-io", stdout);
    }

    [Theory]
    [InlineData("scan", "cuda")]
    [InlineData("ssd-bwd", "opencl")]
    public void AbsentDevice_Exit3_WithTheReason(string kernel, string device)
    {
        var spec = DeviceSpec.Parse(device);
        if (spec.IsAvailable(out string reason)) return; // present on this machine: nothing absent to check
        var (exit, stdout, err) = Run(Benches(), "bench", kernel, "--device", device, "--repeat", "1");
        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"bench: device {spec} is not available ({reason})", err);
    }
}
