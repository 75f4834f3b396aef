using System.Text.Json;
using static Ssm.Engine.Cli.Tests.Commands.CliHarness;

namespace Ssm.Engine.Cli.Tests.Commands;

public class BenchCommandTests
{
    [Fact]
    public void UnknownKernel_Exit2_ListsAvailable()
    {
        var (exit, _, err) = Run(Services(benches: [new FakeBench(), new FakeBench("gemm")]), "bench", "nope");
        Assert.Equal(2, exit);
        Assert.Contains("unknown kernel 'nope'; available: gemm, sum", err);
    }

    [Fact]
    public void NonCpuDevice_Exit3_UnlessTheKernelSupportsIt()
    {
        var plain = new FakeBench();
        var dev = new FakeDeviceBench();
        var services = Services(benches: [plain, dev]);
        var (exit, _, err) = Run(services, "bench", "sum", "--device", "cuda");
        Assert.Equal(3, exit);
        Assert.Contains("device cuda:0 is not available", err);
        Assert.Equal(0, plain.Runs);
        Assert.Equal(3, Run(services, "bench", "devsum", "--device", "cuda:1").Exit);
        Assert.Equal(0, Run(services, "bench", "devsum", "--device", "ilgpu-cpu", "--repeat", "1").Exit);
        Assert.Equal("ilgpu-cpu", dev.SetupDevice.ToString());
    }

    [Fact]
    public void ValidationMismatch_Exit1_BeforeAnyTiming()
    {
        var bench = new FakeBench { Mismatch = "y[3]: 1.5 vs 1.0" };
        var (exit, stdout, err) = Run(Services(benches: [bench]), "bench", "sum");
        Assert.Equal(1, exit);
        Assert.Contains("sum does not match its reference: y[3]: 1.5 vs 1.0", err);
        Assert.Equal("", stdout);
        Assert.Null(bench.SetupShape);
        Assert.Equal(0, bench.Runs);
    }

    [Fact]
    public void KernelThrowingInSetup_Exit1_WithItsMessage()
    {
        var (exit, _, err) = Run(Services(benches: [new FakeBench()]), "bench", "sum", "--shape", "L=2000000");
        Assert.Equal(1, exit);
        Assert.Contains("bench: sum failed: ArgumentException: [sum] L too large", err);
    }

    [Theory]
    [InlineData("--shape", "L=abc")]
    [InlineData("--shape", "L=0")]
    [InlineData("--shape", "=4")]
    [InlineData("--threads", "0")]
    [InlineData("--repeat", "0")]
    [InlineData("--device", "gpu")]
    public void BadOptions_Exit2(string option, string value) =>
        Assert.Equal(2, Run(Services(benches: [new FakeBench()]), "bench", "sum", option, value).Exit);

    [Fact]
    public void Timing_MergesShapeOverDefaults_RunsTheRounds_AndPrintsRates()
    {
        var bench = new FakeBench();
        var (exit, stdout, _) = Run(Services(benches: [bench]), "bench", "sum", "--shape", "L=128", "--threads", "3",
            "--repeat", "4");
        Assert.Equal(0, exit);
        Assert.Equal(new Dictionary<string, int> { ["D"] = 4, ["L"] = 128 }, bench.SetupShape);
        Assert.Equal(3, bench.SetupThreads);
        Assert.True(bench.Runs >= 5, $"{bench.Runs} calls: warm-up plus 4 rounds expected");
        string[] lines = Lines(stdout);
        Assert.Contains("kernel     sum", lines);
        Assert.Contains("shape      D=4 L=128", lines);
        Assert.Contains(lines, l => l.StartsWith("time       median ") && l.Contains("(4 rounds x "));
        Assert.Contains(lines, l => l.StartsWith("GFLOP/s    "));
        Assert.Contains(lines, l => l.StartsWith("GB/s       "));
        Assert.Contains(lines, l => l.StartsWith("bound      0.0010 ms, fraction of bound "));
    }

    [Fact]
    public void Json_HasEveryField_ConsistentWithTheTimes()
    {
        using var set = new Ssm.Engine.Conformance.Tests.Runner.GoldenSetBuilder();
        string json = set.Path("bench/sum.json");
        var (exit, _, _) = Run(Services(benches: [new FakeBench()]), "bench", "sum", "--threads", "2", "--json", json,
            "--repeat", "3");
        Assert.Equal(0, exit);
        Assert.Equal(["sum.json"], Directory.GetFiles(set.Path("bench")).Select(Path.GetFileName));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal("sum", r.GetProperty("kernel").GetString());
        Assert.Equal("cpu", r.GetProperty("device").GetString());
        Assert.Equal(64, r.GetProperty("shape").GetProperty("L").GetInt32());
        Assert.Equal("plain", r.GetProperty("options").GetString());
        Assert.Equal(2, r.GetProperty("threads").GetInt32());
        Assert.Equal(3, r.GetProperty("repeat").GetInt32());
        double median = r.GetProperty("median_ms").GetDouble(), min = r.GetProperty("min_ms").GetDouble();
        Assert.True(min > 0 && min <= median);
        Assert.Equal(256 / (median * 1e-3) / 1e9, r.GetProperty("gflops").GetDouble(), 1e-9);
        Assert.Equal(1024 / (median * 1e-3) / 1e9, r.GetProperty("gbps").GetDouble(), 1e-9);
        Assert.Equal(0.001, r.GetProperty("bound_ms").GetDouble());
        Assert.Equal(0.001 / median, r.GetProperty("fraction_of_bound").GetDouble(), 1e-12);
    }

    [Fact]
    public void Json_BoundIsNull_WhenNoneIsDefined()
    {
        using var set = new Ssm.Engine.Conformance.Tests.Runner.GoldenSetBuilder();
        string json = set.Path("b.json");
        Assert.Equal(0, Run(Services(benches: [new FakeBench { BoundMs = null }]), "bench", "sum", "--repeat", "1",
            "--json", json).Exit);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("bound_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("fraction_of_bound").ValueKind);
    }
}
