using Ssm.Engine.Conformance.Runner;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Tests.Runner;

public class ConformanceRunnerTests
{
    private static (int Exit, string[] Lines, string Err) Run(ConformanceRegistry registry, string dir,
        string[]? filters = null, bool strict = false, string? json = null, DeviceSpec? device = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = new ConformanceRunner(registry).Run(
            new ConformanceOptions(dir, device ?? DeviceSpec.Cpu, filters ?? [], strict, json), stdout, stderr);
        return (exit, stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), stderr.ToString());
    }

    private static ConformanceRegistry Registry(params IOpFamily[] families) => new(families);

    [Fact]
    public void Pass_WhenFamilyReproducesTheGolden()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root);
        Assert.Equal(
            ["PASS scale/a  out.y max_err 0.00e+00 (tol 6.10e-04)", "conformance: 1 passed, 0 failed, 0 skipped"],
            lines);
        Assert.Equal(0, exit);
    }

    [Fact]
    public void Fail_WhenOutputIsOutOfTolerance_NamesWorstTensor()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, lines, _) = Run(Registry(new FakeFamily { OutError = 1e-3f }), set.Root);
        Assert.StartsWith("FAIL scale/a  out.y max_err 1.00e-03 (tol 6.10e-04)", lines[0]);
        Assert.Equal("conformance: 0 passed, 1 failed, 0 skipped", lines[^1]);
        Assert.Equal(1, exit);
    }

    [Theory]
    [InlineData(1.5f, true)]
    [InlineData(1.5000002f, false)]
    public void ToleranceBound_IsInclusive(float got, bool passes)
    {
        using var set = new GoldenSetBuilder();
        // golden y = [1, 0]; atol 0, rtol 0.5 -> bound 0.5; the family returns 2x = [got, 0].
        set.OpCase("scale", "edge", x: [got / 2, 0f], y: [1f, 0f], outAtol: 0, outRtol: 0.5);
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root);
        Assert.StartsWith(passes ? "PASS scale/edge  out.y" : "FAIL scale/edge  out.y", lines[0]);
        Assert.Equal(passes ? 0 : 1, exit);
    }

    [Fact]
    public void Fail_WhenGoldenTensorIsNotProduced()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, lines, _) = Run(Registry(new FakeFamily { OmitGrad = true }), set.Root);
        Assert.Equal("FAIL scale/a  error: grad.x was not produced by the scale family", lines[0]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Fail_WhenShapeDiffers_NamesTheTensor()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a", x: [1f, 2f, 3f, 4f], y: [2f, 4f, 6f]);
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root);
        Assert.Equal("FAIL scale/a  error: out.y: shape [4] differs from the golden [3]", lines[0]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Fail_WhenResultHoldsNaN()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, lines, _) = Run(Registry(new FakeFamily { ProduceNaN = true }), set.Root);
        Assert.StartsWith("FAIL scale/a  out.y max_err nan (tol", lines[0]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Fail_WhenFamilyThrows_RunContinues()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("boom", "a");
        set.OpCase("scale", "b");
        var registry = Registry(new FakeFamily("boom") { Throw = new ArgumentException("[boom] x: bad shape") },
            new FakeFamily());
        var (exit, lines, _) = Run(registry, set.Root);
        Assert.Equal("FAIL boom/a  error: ArgumentException: [boom] x: bad shape", lines[0]);
        Assert.StartsWith("PASS scale/b  ", lines[1]);
        Assert.Equal("conformance: 1 passed, 1 failed, 0 skipped", lines[^1]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Fail_WhenFileIsTruncated_NamesTheFile()
    {
        using var set = new GoldenSetBuilder();
        string path = set.OpCase("scale", "a");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 4)]);
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root);
        Assert.StartsWith("FAIL scale/a  error: ", lines[0]);
        Assert.Contains("a.safetensors", lines[0]);
        Assert.Contains("out of range", lines[0]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Fail_WhenHeaderIsGarbage_OrMetadataLacksFamily()
    {
        using var set = new GoldenSetBuilder();
        Directory.CreateDirectory(set.Path("ops/scale"));
        File.WriteAllBytes(set.Path("ops/scale/garbage.safetensors"), [16, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x']);
        set.OpCase("scale", "nofamily", withFamily: false);
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root);
        Assert.StartsWith("FAIL scale/garbage  error: ", lines[0]);
        Assert.Equal("FAIL scale/nofamily  error: " + set.Path("ops/scale/nofamily.safetensors")
                     + ": metadata has no 'family'", lines[1]);
        Assert.Equal(1, exit);
    }

    [Fact]
    public void Skip_WhenFamilyIsNotImplemented_ExitIsOneWhenNothingPassed()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("ssd", "a");
        var (exit, lines, _) = Run(Registry(), set.Root);
        Assert.Equal(
            ["SKIP ssd/a  reason: family not implemented", "conformance: 0 passed, 0 failed, 1 skipped"], lines);
        Assert.Equal(1, exit);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void Strict_CountsSkipsAsFailures(bool strict, int expectedExit)
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("ssd", "a");
        set.OpCase("scale", "b");
        var (exit, lines, _) = Run(Registry(new FakeFamily()), set.Root, strict: strict);
        Assert.Equal("conformance: 1 passed, 0 failed, 1 skipped", lines[^1]);
        Assert.Equal(expectedExit, exit);
    }

    [Fact]
    public void Skip_WhenFamilyDoesNotSupportTheDevice()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (_, lines, _) = Run(Registry(new FakeFamily()), set.Root, device: DeviceSpec.Parse("cuda:1"));
        Assert.Equal("SKIP scale/a  reason: family scale does not support device cuda:1", lines[0]);
    }

    [Fact]
    public void Algorithms_RunAsSeparateCases()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("ssd_equiv", "c4");
        var fam = new FakeFamily("ssd_equiv") { Algorithms = ["chunked", "recurrent"] };
        var (exit, lines, _) = Run(Registry(fam), set.Root);
        Assert.StartsWith("PASS ssd_equiv/c4#chunked  ", lines[0]);
        Assert.StartsWith("PASS ssd_equiv/c4#recurrent  ", lines[1]);
        Assert.Equal(["chunked", "recurrent"], fam.Calls.Select(c => c.Algorithm));
        Assert.Equal(0, exit);
    }

    [Fact]
    public void Filters_SelectCasesByGlob_AnyMatches()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        set.OpCase("selective_scan", "b");
        set.OpCase("ssd", "c");
        var registry = Registry(new FakeFamily(), new FakeFamily("selective_scan"), new FakeFamily("ssd"));
        var (_, lines, _) = Run(registry, set.Root, filters: ["sel*/*", "ssd/?"]);
        Assert.Equal(["selective_scan/b", "ssd/c"], lines[..^1].Select(l => l.Split(' ')[1]));
        var (_, all, _) = Run(registry, set.Root, filters: ["*c"]);
        Assert.Equal(["ssd/c"], all[..^1].Select(l => l.Split(' ')[1]));
    }

    [Fact]
    public void Filters_MatchingNothing_IsUsageError()
    {
        using var set = new GoldenSetBuilder();
        set.OpCase("scale", "a");
        var (exit, lines, err) = Run(Registry(new FakeFamily()), set.Root, filters: ["ssd/*"]);
        Assert.Equal(2, exit);
        Assert.Empty(lines);
        Assert.Contains("matches ssd/*", err);
    }

    [Fact]
    public void MissingOrEmptyDirectory_IsUsageError()
    {
        using var set = new GoldenSetBuilder();
        Assert.Equal(2, Run(Registry(), set.Path("nope")).Exit);
        var (exit, _, err) = Run(Registry(), set.Root);
        Assert.Equal(2, exit);
        Assert.Contains("no golden case found", err);
    }
}
