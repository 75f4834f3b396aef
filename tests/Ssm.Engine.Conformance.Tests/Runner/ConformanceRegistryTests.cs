using System.Text.Json;
using Ssm.Engine.Conformance.Runner;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Tests.Runner;

public sealed class DiscoverableFamily : IOpFamily
{
    public string Family => "discoverable_test_family";
    public IReadOnlyList<string> Algorithms => ["a", "b"];
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        throw new NotSupportedException();
}

public sealed class BrokenFamily : IOpFamily
{
    public BrokenFamily() => throw new InvalidOperationException("needs a GPU context");
    public string Family => "broken";
    public IReadOnlyList<string> Algorithms => [];
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        throw new NotSupportedException();
}

public sealed class DiscoverableTokenizer : ITokenizerConformance
{
    public CaseOutcome RunEncodeCase(string tokenizerJsonPath, JsonElement caseEntry) => CaseOutcome.Error("no");
    public CaseOutcome RunDecodeCase(string tokenizerJsonPath, JsonElement caseEntry) => CaseOutcome.Error("no");
}

public class ConformanceRegistryTests
{
    [Fact]
    public void Discover_FindsPublicImplementationsInExtraAssemblies_AndRecordsConstructorFailures()
    {
        var registry = ConformanceRegistry.Discover(typeof(ConformanceRegistryTests).Assembly);
        Assert.IsType<DiscoverableFamily>(registry.Families["discoverable_test_family"]);
        Assert.False(registry.Families.ContainsKey("scale")); // FakeFamily is internal
        Assert.False(registry.Families.ContainsKey("broken"));
        Assert.Contains(registry.LoadErrors,
            e => e.Contains(nameof(BrokenFamily)) && e.Contains("needs a GPU context"));
        Assert.IsType<DiscoverableTokenizer>(registry.Tokenizer);
        Assert.IsType<Ssm.Engine.Conformance.Models.ModelConformance>(registry.Models);
    }

    [Fact]
    public void Discover_WithoutExtras_DoesNotSeeTestTypes()
    {
        var registry = ConformanceRegistry.Discover();
        Assert.False(registry.Families.ContainsKey("discoverable_test_family"));
        Assert.Empty(registry.LoadErrors);
    }

    [Fact]
    public void DuplicateFamilyNames_KeepTheFirst()
    {
        var first = new FakeFamily();
        var registry = new ConformanceRegistry([first, new FakeFamily()]);
        Assert.Same(first, registry.Families["scale"]);
    }
}
