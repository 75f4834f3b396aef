// Registry of every ILGPU kernel entry point in this assembly, discovered from [GpuKernel]. The offline codegen
// test walks it, so a kernel added later is compiled for PTX and OpenCL C in CI without anyone listing it.
using System.Reflection;
using ILGPU;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Marks a static method as an ILGPU kernel entry point. Implicitly grouped kernels take an
/// <c>Index1D/2D/3D</c> first; explicitly grouped ones use <c>Grid</c>/<c>Group</c>. A generic kernel is
/// instantiated, for the registry, over every struct in the assembly that satisfies its constraints
/// (e.g. each <c>IUnaryOperator</c>).</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class GpuKernelAttribute : Attribute;

/// <summary>One compilable kernel: a closed static method and how it is grouped.</summary>
public sealed record GpuEntryPoint(string Name, MethodInfo Method, bool ExplicitlyGrouped)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Finds the <see cref="GpuKernelAttribute"/> entry points of an assembly.</summary>
public static class GpuKernels
{
    private static readonly Lazy<IReadOnlyList<GpuEntryPoint>> All =
        new(() => Discover(typeof(GpuKernels).Assembly));

    /// <summary>Every kernel entry point of the kernels assembly, generic ones once per operator struct.</summary>
    public static IReadOnlyList<GpuEntryPoint> EntryPoints => All.Value;

    /// <summary>Kernel entry points declared in <paramref name="assembly"/>, sorted by name.</summary>
    public static IReadOnlyList<GpuEntryPoint> Discover(Assembly assembly)
    {
        const BindingFlags flags = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic
            | BindingFlags.DeclaredOnly;
        Type[] types = assembly.GetTypes();
        var result = new List<GpuEntryPoint>();
        foreach (Type type in types)
        foreach (MethodInfo method in type.GetMethods(flags))
        {
            if (!method.IsDefined(typeof(GpuKernelAttribute), false)) continue;
            foreach (MethodInfo closed in Instantiate(method, types))
                result.Add(new GpuEntryPoint(NameOf(closed), closed, !IsImplicitlyGrouped(closed)));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>True when the kernel's first parameter is an ILGPU index (Index1D/2D/3D, LongIndex…).</summary>
    public static bool IsImplicitlyGrouped(MethodInfo method)
    {
        ParameterInfo[] ps = method.GetParameters();
        return ps.Length > 0 && ps[0].ParameterType.IsValueType && typeof(IIndex).IsAssignableFrom(ps[0].ParameterType);
    }

    /// <summary>Throws unless <paramref name="method"/> (or its generic definition) carries
    /// <see cref="GpuKernelAttribute"/>: a kernel outside the registry would escape the codegen test.</summary>
    internal static void EnsureRegistered(MethodInfo method)
    {
        MethodInfo definition = method.IsGenericMethod ? method.GetGenericMethodDefinition() : method;
        if (!definition.IsDefined(typeof(GpuKernelAttribute), false))
            throw new InvalidOperationException(
                $"[gpu] kernel {NameOf(method)} lacks [GpuKernel], so the PTX/OpenCL codegen test would not cover it");
    }

    /// <summary>"Gemm.Gpu.SgemmKernel" or "Elementwise.Gpu.MapKernel&lt;ExpOperator&gt;".</summary>
    public static string NameOf(MethodInfo method)
    {
        var parts = new List<string>();
        for (Type? t = method.DeclaringType; t is not null; t = t.DeclaringType) parts.Insert(0, t.Name);
        string name = string.Join(".", parts) + "." + method.Name;
        return method.IsGenericMethod
            ? $"{name}<{string.Join(", ", method.GetGenericArguments().Select(a => a.Name))}>"
            : name;
    }

    private static IEnumerable<MethodInfo> Instantiate(MethodInfo method, Type[] types)
    {
        if (!method.IsGenericMethodDefinition) return [method];
        var choices = method.GetGenericArguments()
            .Select(p => types.Where(t => Satisfies(t, p)).OrderBy(t => t.Name, StringComparer.Ordinal).ToArray())
            .ToArray();
        for (int i = 0; i < choices.Length; i++)
            if (choices[i].Length == 0)
                throw new InvalidOperationException(
                    $"[gpu] kernel {NameOf(method)}: no struct in the assembly satisfies the constraints of "
                    + method.GetGenericArguments()[i].Name);
        IEnumerable<Type[]> combos = [[]];
        foreach (Type[] options in choices)
            combos = combos.SelectMany(prefix => options.Select(o => prefix.Append(o).ToArray()));
        return combos.Select(args => method.MakeGenericMethod(args));
    }

    private static bool Satisfies(Type candidate, Type parameter)
    {
        if (!candidate.IsValueType || candidate.IsGenericTypeDefinition || candidate.IsEnum
            || candidate.IsPrimitive || candidate.IsByRefLike) return false;
        if ((parameter.GenericParameterAttributes & GenericParameterAttributes.NotNullableValueTypeConstraint) == 0)
            return false; // only struct-constrained operator parameters are instantiated
        return parameter.GetGenericParameterConstraints()
            .All(c => c == typeof(ValueType) || c.IsAssignableFrom(candidate));
    }
}
