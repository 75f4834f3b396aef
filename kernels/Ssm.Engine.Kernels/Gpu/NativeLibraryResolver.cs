// ILGPU P/Invokes "cuda" and "OpenCL", so .NET looks for libcuda.so / libOpenCL.so. Drivers install only the
// versioned sonames (libcuda.so.1, libOpenCL.so.1); the unversioned links come with -dev packages that a GPU
// machine rarely has. This resolver maps the names after .NET's own probing fails, so no symlink is needed.
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using ILGPU;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Resolves ILGPU's native driver libraries to the sonames drivers actually install.</summary>
public static class NativeLibraryResolver
{
    private static int installed;

    /// <summary>Hooks the resolver into the load context of the ILGPU assembly. Idempotent and thread-safe;
    /// <see cref="GpuDevice"/> calls it before touching a driver.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        Assembly ilgpu = typeof(Context).Assembly;
        var loadContext = AssemblyLoadContext.GetLoadContext(ilgpu) ?? AssemblyLoadContext.Default;
        // ResolvingUnmanagedDll runs only after the default probing (and ILGPU's own WSL resolver) failed,
        // so an installed unversioned library or a user's LD_LIBRARY_PATH still wins.
        loadContext.ResolvingUnmanagedDll += (assembly, name) =>
            assembly == ilgpu ? Resolve(name) : IntPtr.Zero;
    }

    /// <summary>Whether <see cref="Install"/> has run in this process.</summary>
    public static bool IsInstalled => Volatile.Read(ref installed) == 1;

    /// <summary>The file names tried, in order, for a library name ILGPU asks for on the current OS
    /// (empty when the name is not a driver library this resolver knows).</summary>
    public static IReadOnlyList<string> Candidates(string libraryName) =>
        OperatingSystem.IsLinux() ? LinuxCandidates(libraryName)
        : OperatingSystem.IsMacOS() && Normalise(libraryName) == "opencl"
            ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"]
        : [];

    /// <summary>Linux candidates: the driver sonames, then the WSL driver folder for CUDA.</summary>
    internal static IReadOnlyList<string> LinuxCandidates(string libraryName) => Normalise(libraryName) switch
    {
        "cuda" or "nvcuda" => ["libcuda.so.1", "libcuda.so", "/usr/lib/wsl/lib/libcuda.so.1"],
        "opencl" => ["libOpenCL.so.1", "libOpenCL.so"],
        _ => [],
    };

    /// <summary>Tries to load the driver library behind <paramref name="kind"/> (CUDA or OpenCL) and reports the
    /// names tried; the CPU accelerators need none and always succeed.</summary>
    public static bool CanLoad(GpuDeviceKind kind, out string tried)
    {
        string name = kind switch
        {
            GpuDeviceKind.Cuda => OperatingSystem.IsWindows() ? "nvcuda" : "cuda",
            GpuDeviceKind.OpenCL => "OpenCL",
            _ => "",
        };
        tried = "";
        if (name.Length == 0) return true;
        var names = new List<string> { name };
        names.AddRange(Candidates(name));
        tried = string.Join(", ", names);
        foreach (string candidate in names)
        {
            if (!NativeLibrary.TryLoad(candidate, typeof(Context).Assembly, null, out IntPtr handle)) continue;
            NativeLibrary.Free(handle);
            return true;
        }
        return false;
    }

    private static IntPtr Resolve(string libraryName)
    {
        foreach (string candidate in Candidates(libraryName))
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return handle;
        return IntPtr.Zero;
    }

    // "libOpenCL.so" / "OpenCL" / "libcuda.so.1" -> "opencl" / "cuda".
    private static string Normalise(string name)
    {
        string s = Path.GetFileName(name).ToLowerInvariant();
        if (s.StartsWith("lib", StringComparison.Ordinal)) s = s[3..];
        int dot = s.IndexOf('.');
        return dot >= 0 ? s[..dot] : s;
    }
}
