using Ssm.Engine.Cli.Bench;

namespace Ssm.Engine.Cli.Tests.Bench;

public class ScanKernelBenchTests
{
    public static IEnumerable<object[]> Benches() =>
        new IKernelBench[] { new ScanKernelBench(), new ScanBackwardKernelBench(), new StateUpdateKernelBench() }
            .Select(b => new object[] { b.Name });

    private static IKernelBench Create(string name) => name switch
    {
        "scan" => new ScanKernelBench(),
        "scan-bwd" => new ScanBackwardKernelBench(),
        _ => new StateUpdateKernelBench(),
    };

    [Theory]
    [MemberData(nameof(Benches))]
    public void Validate_AgreesWithReference_OnSmallShape(string name) => Assert.Null(Create(name).Validate());

    [Theory]
    [MemberData(nameof(Benches))]
    public void SetupAndRun_OnSmallShape_ReportPositiveWork(string name)
    {
        var bench = Create(name);
        var shape = new Dictionary<string, int>(bench.DefaultShape) { ["D"] = 24 };
        if (shape.ContainsKey("L")) shape["L"] = 40;
        bench.Setup(shape, threads: 2);
        bench.Run();
        Assert.True(bench.Flops > 0 && bench.Bytes > 0 && bench.BoundMs > 0);
    }

    [Fact]
    public void ScanBound_AtDefaultShapeWithTwoThreads_IsTheExpBoundOfThePerformanceNotes()
    {
        var bench = new ScanKernelBench();
        bench.Setup(bench.DefaultShape, threads: 2);
        Assert.InRange(bench.BoundMs!.Value, 11.0, 11.8);   // 11.4 ms: exp-bound, memory ≈ 1.5 ms
        bench.Setup(bench.DefaultShape, threads: 1);
        Assert.InRange(bench.BoundMs!.Value, 20.5, 21.7);   // 21.1 ms
    }
}
