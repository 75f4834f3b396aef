using System.Reflection;

namespace Ssm.Engine.Cli.Bench;

/// <summary>The kernel benchmarks <c>ssm bench</c> knows, by <see cref="IKernelBench.Name"/>.</summary>
public sealed class BenchRegistry
{
    private readonly SortedDictionary<string, IKernelBench> _benches = new(StringComparer.Ordinal);

    /// <summary>A registry of the given benchmarks; a name given twice keeps the first.</summary>
    public BenchRegistry(IEnumerable<IKernelBench> benches)
    {
        foreach (var b in benches) _benches.TryAdd(b.Name, b);
    }

    /// <summary>Names in ordinal order.</summary>
    public IReadOnlyCollection<string> Names => _benches.Keys;

    /// <summary>The benchmark named <paramref name="name"/>, or null.</summary>
    public IKernelBench? Find(string name) => _benches.GetValueOrDefault(name);

    /// <summary>Instantiates every public, non-abstract <see cref="IKernelBench"/> class with a parameterless
    /// constructor in this assembly and <paramref name="extraAssemblies"/>.</summary>
    public static BenchRegistry Discover(params Assembly[] extraAssemblies) =>
        new(new[] { typeof(BenchRegistry).Assembly }.Concat(extraAssemblies).Distinct()
            .SelectMany(Types)
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true }
                        && typeof(IKernelBench).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) != null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IKernelBench)Activator.CreateInstance(t)!)
            .ToList());

    private static IEnumerable<Type> Types(Assembly a)
    {
        try { return a.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
    }
}
