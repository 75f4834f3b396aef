using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Devices;
using static Ssm.Engine.Cli.Tests.Commands.CliHarness;

namespace Ssm.Engine.Cli.Tests.Bench;

/// <summary><c>ssm bench --device</c> with the real conv and gemm benches: they run on the ILGPU CPU accelerators,
/// and a device this machine lacks exits 3 naming the reason.</summary>
public class DeviceKernelBenchTests
{
    private static CliServices AllBenches() => Services(benches:
        [new ConvKernelBench(), new ConvBackwardKernelBench(), new ConvUpdateKernelBench(), new GemmKernelBench()]);

    [Theory]
    [InlineData("conv", "cuda")]
    [InlineData("conv", "opencl")]
    [InlineData("gemm", "cuda")]
    [InlineData("gemm", "opencl")]
    public void AbsentDevice_Exit3_WithTheReason(string kernel, string device)
    {
        var spec = DeviceSpec.Parse(device);
        if (spec.IsAvailable(out string reason)) return; // present on this machine: nothing absent to check
        var (exit, stdout, err) = Run(AllBenches(), "bench", kernel, "--device", device, "--repeat", "1");
        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"bench: device {spec} is not available ({reason})", err);
    }

    [Theory]
    [InlineData("conv", "ilgpu-cpu", "B=2,D=3,L=16,silu=1")]
    [InlineData("conv-bwd", "ilgpu-cpu-warp32", "B=1,D=4,L=16")]
    [InlineData("conv-update", "ilgpu-cpu", "B=2,D=8")]
    [InlineData("gemm", "ilgpu-cpu-warp32", "M=8,N=8,K=8")]
    public void IlgpuCpuDevice_RunsTheGpuKernel_Exit0(string kernel, string device, string shape)
    {
        var (exit, stdout, err) = Run(AllBenches(), "bench", kernel, "--device", device, "--shape", shape,
            "--repeat", "1");
        Assert.True(exit == 0, err);
        Assert.Contains($"device     {device}", stdout);
    }

    [Fact]
    public void ConvBench_GpuRun_LeavesTheSameOutputAsTheCpuRun()
    {
        var shape = new Dictionary<string, int> { ["B"] = 2, ["D"] = 3, ["L"] = 9, ["K"] = 4, ["silu"] = 1 };
        var cpu = new ProbeConvBench();
        cpu.Setup(shape, 1);
        cpu.Run();
        var gpu = new ProbeConvBench();
        Assert.True(gpu.Supports(DeviceSpec.Parse("ilgpu-cpu")));
        gpu.Setup(shape, 1, DeviceSpec.Parse("ilgpu-cpu"));
        gpu.Run();
        float[] fromDevice = gpu.DownloadY();
        Assert.Equal(cpu.HostY.Length, fromDevice.Length);
        for (int i = 0; i < fromDevice.Length; i++) Assert.Equal(cpu.HostY[i], fromDevice[i], 1e-5f);
    }

    /// <summary>The conv bench with access to its output on either path.</summary>
    private sealed class ProbeConvBench : ConvKernelBenchBase
    {
        private ILGPU.ArrayView<float> _x, _w, _b, _y;
        public float[] HostY => Y;
        public override string Name => "conv-probe";
        public override string? Validate() => null;
        public override double Flops => 0;
        public override double Bytes => 0;
        protected override void RunCpu() =>
            Kernels.Conv1d.CausalConv1d.Cpu.Forward(Shape, X, W, Bias, [], Y, [], Opts);
        protected override void SetupGpu(Kernels.Gpu.GpuDevice gpu) =>
            (_x, _w, _b, _y) = (Upload(gpu, X), Upload(gpu, W), Upload(gpu, Bias), Upload(gpu, Y));
        protected override void RunGpu(Kernels.Gpu.GpuDevice gpu) =>
            Kernels.Conv1d.CausalConv1d.Gpu.Forward(gpu, Shape, _x, _w, _b, default, _y, default, Opts);
        protected override string? ValidateGpu(Kernels.Gpu.GpuDevice gpu) => null;

        public float[] DownloadY()
        {
            var y = new float[Y.Length];
            Gpu!.Download(_y, y);
            return y;
        }
    }
}
