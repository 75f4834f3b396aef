using System.Text.Json;
using Ssm.Engine.Conformance.Tests.Runner;
using static Ssm.Engine.Cli.Tests.Commands.CliHarness;

namespace Ssm.Engine.Cli.Tests.Commands;

public class ConformanceCommandTests
{
    [Fact]
    public void Lines_HaveTheExactFormat_AndProgressGoesToStderr()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        set.OpCase("scale", "bad", y: [2f, -4f, 6f, 1.01f]);
        set.OpCase("ssd", "c");
        var (exit, stdout, stderr) = Run(Services([new FakeFamily()]), "conformance", set.Root);
        Assert.Equal(
        [
            "PASS scale/a  out.y max_err 0.00e+00 (tol 6.10e-04)",
            "FAIL scale/bad  out.y max_err 1.00e-02 (tol 6.10e-04)",
            "SKIP ssd/c  reason: family not implemented",
            "conformance: 1 passed, 1 failed, 1 skipped",
        ], Lines(stdout));
        Assert.Contains("conformance: 3 cases under", stderr);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Exit0_WhenAllPass_Exit1_UnderStrictWithSkips()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        set.OpCase("ssd", "c");
        var services = Services([new FakeFamily()]);
        Assert.Equal(0, Run(services, "conformance", set.Root, "--filter", "scale/*").Exit);
        Assert.Equal(0, Run(services, "conformance", set.Root).Exit);
        Assert.Equal(1, Run(services, "conformance", set.Root, "--strict").Exit);
    }

    [Fact]
    public void RepeatedFilters_AreCombined()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        set.OpCase("ssd", "c");
        set.OpCase("rmsnorm", "d");
        var (_, stdout, _) = Run(Services([new FakeFamily()]), "conformance", set.Root,
            "--filter", "scale/*", "--filter", "rms*");
        Assert.Equal(["SKIP rmsnorm/d", "PASS scale/a"], Lines(stdout)[..^1].Select(l => l.Split("  ")[0]));
        Assert.EndsWith("1 passed, 0 failed, 1 skipped", Lines(stdout)[^1]);
    }

    [Theory]
    [InlineData("--device", "tpu")]
    [InlineData("--device", "cpu:1")]
    [InlineData("--bogus-option")]
    public void UsageErrors_Exit2(params string[] extra)
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, stdout, stderr) = Run(Services([new FakeFamily()]), ["conformance", set.Root, .. extra]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.NotEqual("", stderr);
    }

    [Fact]
    public void MissingDirectory_OrNoDirArgument_Exit2()
    {
        Assert.Equal(2, Run(Services(), "conformance", "/no/such/golden/dir").Exit);
        Assert.Equal(2, Run(Services(), "conformance").Exit);
    }

    [Fact]
    public void DeviceOption_IsPassedToFamilies()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var family = new FakeFamily { CpuOnly = false };
        var (exit, stdout, _) = Run(Services([family]), "conformance", set.Root, "--device", "opencl:2");
        Assert.Equal(0, exit);
        Assert.Equal("opencl:2", family.Calls.Single().Device.ToString());
        var (_, skipped, _) = Run(Services([new FakeFamily()]), "conformance", set.Root, "--device", "ilgpu-cpu");
        Assert.Equal("SKIP scale/a  reason: family scale does not support device ilgpu-cpu", Lines(skipped)[0]);
        Assert.StartsWith("PASS scale/a  ", stdout);
    }

    [Fact]
    public void Json_IsWritten()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        string json = set.Path("report.json");
        var (exit, _, _) = Run(Services([new FakeFamily()]), "conformance", set.Root, "--json", json);
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(1, doc.RootElement.GetProperty("passed").GetInt32());
        Assert.Equal("PASS", doc.RootElement.GetProperty("cases")[0].GetProperty("status").GetString());
    }
}
