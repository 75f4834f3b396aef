// Offline compiler: PTX (sm_80, sm_90) and OpenCL C text for a kernel without any GPU or driver. CI runs it over
// GpuKernels.EntryPoints, which catches what the CPU accelerator silently accepts (missing intrinsics without
// EnableAlgorithms, raw warp shuffles that ILGPU's OpenCL backend generates only for Intel, …).
using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Code generation targets compiled without a device.</summary>
public enum GpuCodegenTarget
{
    /// <summary>PTX for Ampere (sm_80, PTX ISA 7.0).</summary>
    PtxSm80,
    /// <summary>PTX for Hopper (sm_90, PTX ISA 7.8). ILGPU 1.5.3 still writes <c>.target sm_80</c> here, so
    /// this target differs from <see cref="PtxSm80"/> in the ISA version only.</summary>
    PtxSm90,
    /// <summary>OpenCL C 2.0 for an NVIDIA OpenCL driver.</summary>
    OpenClNvidia,
    /// <summary>OpenCL C 2.0 for a vendor ILGPU has no special path for (the strictest: no raw shuffles).</summary>
    OpenClGeneric,
}

/// <summary>Compiles kernels to PTX or OpenCL C text with backends built directly on a device-less context.
/// The OpenCL capabilities assumed are the portable minimum: generic address space and fp64 (ILGPU requires the
/// former), no fp16 and no sub-groups, so a kernel relying on either fails here rather than on a user's device.
/// Not thread-safe; dispose to release the context.</summary>
public sealed class GpuCodegen : IDisposable
{
    private readonly Context context = Context.Create(b => b.EnableAlgorithms());
    private readonly Dictionary<GpuCodegenTarget, Backend> backends = new();

    /// <summary>Compiles a registered entry point.</summary>
    public string Compile(GpuEntryPoint entry, GpuCodegenTarget target) =>
        Compile(entry.Method, target, entry.ExplicitlyGrouped);

    /// <summary>Compiles a closed static kernel method; grouping is inferred from its first parameter.</summary>
    public string Compile(MethodInfo method, GpuCodegenTarget target) =>
        Compile(method, target, !GpuKernels.IsImplicitlyGrouped(method));

    private string Compile(MethodInfo method, GpuCodegenTarget target, bool explicitlyGrouped)
    {
        EntryPointDescription entry = explicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        CompiledKernel kernel = BackendFor(target).Compile(entry, new KernelSpecialization());
        return kernel switch
        {
            PTXCompiledKernel ptx => ptx.PTXAssembly,
            CLCompiledKernel cl => cl.Source,
            _ => throw new InvalidOperationException($"[gpu] unexpected compiled kernel {kernel.GetType().Name}"),
        };
    }

    private Backend BackendFor(GpuCodegenTarget target)
    {
        if (backends.TryGetValue(target, out Backend? backend)) return backend;
        backend = target switch
        {
            GpuCodegenTarget.PtxSm80 => Ptx(CudaArchitecture.SM_80, CudaInstructionSet.ISA_70),
            GpuCodegenTarget.PtxSm90 => Ptx(CudaArchitecture.SM_90, CudaInstructionSet.ISA_78),
            GpuCodegenTarget.OpenClNvidia => new CLBackend(context, PortableClCapabilities(), CLDeviceVendor.Nvidia,
                CLCVersion.CL20),
            GpuCodegenTarget.OpenClGeneric => new CLBackend(context, PortableClCapabilities(), CLDeviceVendor.Other,
                CLCVersion.CL20),
            _ => throw new ArgumentOutOfRangeException(nameof(target), target, "[gpu] unknown codegen target"),
        };
        backends.Add(target, backend);
        return backend;
    }

    private PTXBackend Ptx(CudaArchitecture arch, CudaInstructionSet isa) =>
        new(context, new CudaCapabilityContext(arch), arch, isa, null);

    // CLCapabilityContext's constructor is not public in ILGPU 1.5.3; its five flags are set by parameter name.
    private static CLCapabilityContext PortableClCapabilities()
    {
        ConstructorInfo ctor = typeof(CLCapabilityContext)
            .GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Single(c => c.GetParameters().Length > 0 && c.GetParameters().All(p => p.ParameterType == typeof(bool)));
        object[] args = ctor.GetParameters().Select(p => (object)(p.Name?.ToLowerInvariant() switch
        {
            "genericaddressspace" or "float64" or "int64_atomics" => true,
            _ => false, // float16, subGroups
        })).ToArray();
        return (CLCapabilityContext)ctor.Invoke(args);
    }

    /// <summary>Disposes the backends and the context.</summary>
    public void Dispose()
    {
        foreach (Backend backend in backends.Values) backend.Dispose();
        backends.Clear();
        context.Dispose();
    }
}
