using Ssm.Engine.Cli.Bench;

namespace Ssm.Engine.Cli.Tests.Bench;

public class GemmKernelBenchTests
{
    [Fact]
    public void Validate_ReturnsNull_WhenFastPathAgreesWithReference()
    {
        Assert.Null(new GemmKernelBench().Validate());
        Assert.Null(new GemvKernelBench().Validate());
    }

    [Fact]
    public void GemmFigures_FollowShapeAndThreads()
    {
        var bench = new GemmKernelBench();
        Assert.Equal(1024, bench.DefaultShape["M"]);
        bench.Setup(new Dictionary<string, int> { ["M"] = 64, ["N"] = 32, ["K"] = 16 }, threads: 1);
        Assert.Equal(2.0 * 64 * 32 * 16, bench.Flops);
        Assert.Equal(4.0 * (64 * 16 + 16 * 32 + 64 * 32), bench.Bytes);
        // One thread gets half the 2-thread peak.
        Assert.Equal(bench.Flops / 101e9 * 1e3, bench.BoundMs!.Value, 12);
        bench.Run();
    }

    [Fact]
    public void GemvFigures_CountWeightBytesAtReadBandwidth()
    {
        var bench = new GemvKernelBench();
        Assert.Equal(new[] { 1, 3072, 768 }, new[] { bench.DefaultShape["M"], bench.DefaultShape["N"],
            bench.DefaultShape["K"] });
        bench.Setup(bench.DefaultShape, threads: 2);
        Assert.Equal(4.0 * 3072 * 768, bench.Bytes);
        Assert.Equal(4.0 * 3072 * 768 / 28e9 * 1e3, bench.BoundMs!.Value, 12);
        bench.Run();
    }
}
