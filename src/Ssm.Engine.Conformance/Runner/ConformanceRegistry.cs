using System.Reflection;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>The implementations the runner can call: op families by name, the model runner and the
/// tokenizer runner. <see cref="Discover"/> finds them by reflection; tests build one directly.</summary>
public sealed class ConformanceRegistry
{
    private readonly Dictionary<string, IOpFamily> _families;

    /// <summary>Op families by <see cref="IOpFamily.Family"/>.</summary>
    public IReadOnlyDictionary<string, IOpFamily> Families => _families;

    /// <summary>The model-case runner, or null while none is implemented.</summary>
    public IModelConformance? Models { get; }

    /// <summary>The tokenizer-case runner, or null while none is implemented.</summary>
    public ITokenizerConformance? Tokenizer { get; }

    /// <summary>A registry of the given implementations; a family name given twice keeps the first.</summary>
    public ConformanceRegistry(IEnumerable<IOpFamily> families, IModelConformance? models = null,
        ITokenizerConformance? tokenizer = null)
    {
        _families = new Dictionary<string, IOpFamily>(StringComparer.Ordinal);
        foreach (var f in families) _families.TryAdd(f.Family, f);
        Models = models;
        Tokenizer = tokenizer;
    }

    /// <summary>Instantiates every public, non-abstract class with a parameterless constructor that
    /// implements <see cref="IOpFamily"/>, <see cref="IModelConformance"/> or
    /// <see cref="ITokenizerConformance"/> in this assembly and in <paramref name="extraAssemblies"/>
    /// (types in ordinal order of their full names, so the choice among duplicates is stable).</summary>
    public static ConformanceRegistry Discover(params Assembly[] extraAssemblies)
    {
        var types = new[] { typeof(ConformanceRegistry).Assembly }.Concat(extraAssemblies).Distinct()
            .SelectMany(LoadableTypes)
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true }
                        && t.GetConstructor(Type.EmptyTypes) != null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
        var errors = new List<string>();
        var families = Create<IOpFamily>(types, errors);
        var registry = new ConformanceRegistry(families, Create<IModelConformance>(types, errors).FirstOrDefault(),
            Create<ITokenizerConformance>(types, errors).FirstOrDefault());
        registry.LoadErrors = errors;
        return registry;
    }

    /// <summary>Implementations <see cref="Discover"/> could not instantiate (type and message), so that the
    /// runner can say why a family it expected is missing.</summary>
    public IReadOnlyList<string> LoadErrors { get; private set; } = [];

    private static List<T> Create<T>(IEnumerable<Type> types, List<string> errors) where T : class
    {
        var list = new List<T>();
        foreach (var t in types.Where(typeof(T).IsAssignableFrom))
        {
            try
            {
                list.Add((T)Activator.CreateInstance(t)!);
            }
            catch (TargetInvocationException e)
            {
                errors.Add($"{t.FullName}: {e.InnerException?.Message ?? e.Message}");
            }
        }
        return list;
    }

    private static IEnumerable<Type> LoadableTypes(Assembly a)
    {
        try { return a.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
    }
}
