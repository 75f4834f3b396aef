namespace Ssm.Engine.Devices;

/// <summary>The kinds of compute device the engine knows.</summary>
public enum DeviceKind
{
    /// <summary>The SIMD, multi-threaded CPU path (default).</summary>
    Cpu,
    /// <summary>ILGPU's CPU accelerator with its default 4-wide warps.</summary>
    IlgpuCpu,
    /// <summary>ILGPU's CPU accelerator configured like an NVIDIA GPU (32-wide warps).</summary>
    IlgpuCpuWarp32,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda,
    /// <summary>An OpenCL device through ILGPU.</summary>
    OpenCL,
}

/// <summary>A device named on a command line: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>ilgpu-cpu-warp32</c>,
/// <c>cuda[:i]</c> or <c>opencl[:i]</c>.</summary>
public readonly record struct DeviceSpec(DeviceKind Kind, int Index = 0)
{
    /// <summary>The default CPU device.</summary>
    public static DeviceSpec Cpu => new(DeviceKind.Cpu);

    /// <summary>ILGPU's CPU accelerator (4-wide warps).</summary>
    public static DeviceSpec IlgpuCpu => new(DeviceKind.IlgpuCpu);

    /// <summary>ILGPU's CPU accelerator with 32-wide warps, like an NVIDIA GPU.</summary>
    public static DeviceSpec IlgpuCpuWarp32 => new(DeviceKind.IlgpuCpuWarp32);

    /// <summary>The <paramref name="index"/>-th CUDA device.</summary>
    public static DeviceSpec Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    /// <summary>The <paramref name="index"/>-th OpenCL device.</summary>
    public static DeviceSpec OpenCL(int index = 0) => new(DeviceKind.OpenCL, index);

    /// <summary>Parses a device name; throws <see cref="ArgumentException"/> naming the value otherwise.</summary>
    public static DeviceSpec Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        int index = 0;
        int colon = s.IndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(s[(colon + 1)..], out index) || index < 0)
                throw new ArgumentException($"invalid device index in '{text}'", nameof(text));
            s = s[..colon];
        }
        DeviceKind kind = s switch
        {
            "cpu" => DeviceKind.Cpu,
            "ilgpu-cpu" => DeviceKind.IlgpuCpu,
            "ilgpu-cpu-warp32" => DeviceKind.IlgpuCpuWarp32,
            "cuda" => DeviceKind.Cuda,
            "opencl" => DeviceKind.OpenCL,
            _ => throw new ArgumentException(
                $"unknown device '{text}' (expected cpu, ilgpu-cpu, ilgpu-cpu-warp32, cuda[:i] or opencl[:i])",
                nameof(text)),
        };
        if (colon >= 0 && kind is not (DeviceKind.Cuda or DeviceKind.OpenCL))
            throw new ArgumentException($"device '{s}' takes no index", nameof(text));
        return new DeviceSpec(kind, index);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.IlgpuCpuWarp32 => "ilgpu-cpu-warp32",
        DeviceKind.Cuda => $"cuda:{Index}",
        DeviceKind.OpenCL => $"opencl:{Index}",
        _ => Kind.ToString(),
    };
}
