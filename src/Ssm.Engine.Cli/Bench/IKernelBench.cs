namespace Ssm.Engine.Cli.Bench;

/// <summary>One kernel that <c>ssm bench KERNEL</c> can time. Implementations are discovered by
/// reflection (public, parameterless constructor) and are stateful: <see cref="Setup"/> allocates
/// inputs for a shape, <see cref="Run"/> times one call.</summary>
public interface IKernelBench
{
    /// <summary>The KERNEL argument (<c>scan</c>, <c>scan-bwd</c>, <c>ssd-chunked</c>, <c>gemm</c>, ...).</summary>
    string Name { get; }

    /// <summary>Default shape (glossary letters; gemm uses M, N, K), e.g. B=1, D=1536, L=2048, N=16.</summary>
    IReadOnlyDictionary<string, int> DefaultShape { get; }

    /// <summary>Runs the kernel against its Reference on a small shape; returns null when they agree,
    /// otherwise a message describing the mismatch.</summary>
    string? Validate();

    /// <summary>Allocates and fills inputs for <paramref name="shape"/> (defaults merged with user keys)
    /// and sets the thread count the kernel may use.</summary>
    void Setup(IReadOnlyDictionary<string, int> shape, int threads);

    /// <summary>One timed call.</summary>
    void Run();

    /// <summary>Floating-point operations of one call (for GFLOP/s).</summary>
    double Flops { get; }

    /// <summary>Bytes moved to/from memory by one call at minimum (for GB/s).</summary>
    double Bytes { get; }

    /// <summary>The machine lower bound for one call in milliseconds with the configured threads
    /// (from docs/performance.md's roofline), or null when none is defined.</summary>
    double? BoundMs { get; }

    /// <summary>Options that affect the timing (e.g. "z,delta_bias,softplus"), for the JSON record.</summary>
    string Options { get; }
}
