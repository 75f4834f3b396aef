using Ssm.Engine.Cli.Commands;

namespace Ssm.Engine.Cli.Tests.Commands;

public sealed class DevicesCommandTests
{
    [Fact]
    public void Run_ListsEveryDevice_AndPassesTheGemmCheckOnTheCpuAccelerators()
    {
        var output = new StringWriter();
        int status = DevicesCommand.Run(output, check: true);
        string text = output.ToString();
        Assert.Equal(0, status);
        foreach (string name in new[] { "cpu", "ilgpu-cpu", "ilgpu-cpu-warp32", "cuda:0", "opencl:0" })
            Assert.Contains(name + " ", text);
        string[] lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("ilgpu-cpu ", StringComparison.Ordinal)
            && l.Contains("gemm check ok"));
        Assert.Contains(lines, l => l.StartsWith("ilgpu-cpu-warp32 ", StringComparison.Ordinal)
            && l.Contains("gemm check ok"));
    }
}
