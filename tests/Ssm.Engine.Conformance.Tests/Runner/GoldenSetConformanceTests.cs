using System.Text.Json;
using Ssm.Engine.Conformance.Runner;
using Ssm.Engine.Devices;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Conformance.Tests.Runner;

/// <summary>The runner over the real golden set: it must finish, report every discovered case once and
/// find every op file, model format and tokenizer entry (statuses turn to PASS as families land).</summary>
public class GoldenSetConformanceTests
{
    [Fact]
    public void RealGoldenSet_EveryCaseIsReported_NoCrash()
    {
        var registry = ConformanceRegistry.Discover();
        var manifests = ManifestIndex.For(GoldenPaths.Root);
        var discovered = CaseDiscovery.Discover(GoldenPaths.Root, registry, manifests);
        var stdout = new StringWriter();
        var summary = new ConformanceRunner(registry).RunCases(
            new ConformanceOptions(GoldenPaths.Root, DeviceSpec.Cpu, [], false, null), stdout, TextWriter.Null);
        string[] lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(discovered.Count + 1, lines.Length);
        Assert.Equal(discovered.Select(c => c.Id), summary.Cases.Select(c => c.Case.Id));
        Assert.Equal(discovered.Count, discovered.Select(c => c.Id).Distinct().Count());
        Assert.Matches(@"^conformance: \d+ passed, \d+ failed, \d+ skipped$", lines[^1]);
        Assert.All(lines[..^1], l => Assert.Matches(@"^(PASS|FAIL|SKIP) \S+  ", l));

        int opFiles = Directory.EnumerateFiles(Path.Combine(GoldenPaths.Root, "ops"), "*.safetensors",
            SearchOption.AllDirectories).Count();
        Assert.Equal(opFiles, discovered.Where(c => c.Kind == CaseKind.Op).Select(c => c.Path).Distinct().Count());
        int formats = Directory.EnumerateFiles(Path.Combine(GoldenPaths.Root, "models"), "config.json",
            SearchOption.AllDirectories).Count();
        Assert.Equal(formats, discovered.Count(c => c.Kind == CaseKind.Model));
        int entries = Directory.EnumerateDirectories(Path.Combine(GoldenPaths.Root, "tokenizers"))
            .SelectMany(d => new[] { "cases.json", "decode_cases.json" }.Select(f => Path.Combine(d, f)))
            .Sum(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetArrayLength());
        Assert.Equal(entries, discovered.Count(c => c.Kind == CaseKind.Tokenizer));
        Assert.DoesNotContain(summary.Cases, c => c.Outcome.Message?.Contains("MANIFEST") == true);
    }
}
