using System.Reflection;
using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Conformance.Runner;

namespace Ssm.Engine.Cli;

/// <summary>What the commands discover by reflection (conformance implementations, kernel benchmarks) and
/// the bench timing budget; tests inject their own.</summary>
public sealed class CliServices
{
    private readonly Lazy<ConformanceRegistry> _conformance;
    private readonly Lazy<BenchRegistry> _benches;

    /// <summary>Conformance families, model and tokenizer runners.</summary>
    public ConformanceRegistry Conformance => _conformance.Value;

    /// <summary>Kernel benchmarks by name.</summary>
    public BenchRegistry Benches => _benches.Value;

    /// <summary>Warm-up time before timing (at least one call is always made).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Target duration of one timed round (several calls when one is shorter).</summary>
    public TimeSpan RoundTarget { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Services from explicit registries.</summary>
    public CliServices(ConformanceRegistry conformance, BenchRegistry benches)
    {
        _conformance = new Lazy<ConformanceRegistry>(conformance);
        _benches = new Lazy<BenchRegistry>(benches);
    }

    private CliServices(Assembly[] extra)
    {
        _conformance = new Lazy<ConformanceRegistry>(() => ConformanceRegistry.Discover(extra));
        _benches = new Lazy<BenchRegistry>(() => BenchRegistry.Discover(extra));
    }

    /// <summary>Discovers implementations in the engine's assemblies and in
    /// <paramref name="extraAssemblies"/>.</summary>
    public static CliServices Discover(params Assembly[] extraAssemblies) =>
        new(new[] { typeof(CliServices).Assembly }.Concat(extraAssemblies).ToArray());
}
