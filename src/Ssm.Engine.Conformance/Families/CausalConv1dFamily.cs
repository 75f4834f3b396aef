using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>causal_conv1d</c> (FORMAT.md 4.7) on the Cpu kernel or, on an ILGPU device, the Gpu kernel: y,
/// final_states and every gradient.</summary>
public sealed class CausalConv1dFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "causal_conv1d";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        GpuDevice? gpu = GpuOrCpu(device, Family);
        var x = golden.Get("in.x");
        var w = golden.Get("in.weight");
        float[] bias = Optional(golden, "in.bias"), init = Optional(golden, "in.initial_states");
        var s = new CausalConv1dShape(x.Dim(0), x.Dim(1), x.Dim(2), w.Dim(1));
        var o = new CausalConv1dOptions(Silu: golden.String("activation") == "silu");
        bool final = golden.Has("out.final_states");
        var y = new float[x.Data.Length];
        var fin = new float[final ? s.Rows * s.StateWidth : 0];
        if (gpu is null) CausalConv1d.Cpu.Forward(s, x.Data, w.Data, bias, init, y, fin, o);
        else CausalConv1d.Gpu.Forward(gpu, s, x.Data, w.Data, bias, init, y, fin, o);
        var result = new Dictionary<string, HostArray> { ["out.y"] = new(x.Shape, y) };
        if (final) result["out.final_states"] = new([s.Batch, s.Channels, s.StateWidth], fin);
        if (!golden.Has("grad_in.y")) return result;

        float[] dFinal = Optional(golden, "grad_in.final_states");
        float[] dx = new float[x.Data.Length], dw = new float[w.Data.Length], db = new float[bias.Length];
        var dInit = new float[init.Length];
        float[] dy = golden.Get("grad_in.y").Data;
        if (gpu is null) CausalConv1d.Cpu.Backward(s, x.Data, w.Data, bias, init, dy, dFinal, dx, dw, db, dInit, o);
        else CausalConv1d.Gpu.Backward(gpu, s, x.Data, w.Data, bias, init, dy, dFinal, dx, dw, db, dInit, o);
        result["grad.x"] = new(x.Shape, dx);
        result["grad.weight"] = new(w.Shape, dw);
        if (bias.Length > 0) result["grad.bias"] = new([s.Channels], db);
        if (init.Length > 0) result["grad.initial_states"] = new([s.Batch, s.Channels, s.StateWidth], dInit);
        return result;
    }

    /// <summary>The cpu device or an ILGPU device present on this machine.</summary>
    internal static bool SupportsCpuOrGpu(DeviceSpec device) =>
        device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <summary>The device choice of the conv and norm families: null for the Cpu kernels, else the shared ILGPU
    /// device; throws for a device that is not available.</summary>
    internal static GpuDevice? GpuOrCpu(DeviceSpec device, string family)
    {
        if (device.Kind == DeviceKind.Cpu) return null;
        if (!FamilyDevices.IsGpuAvailable(device))
            throw new NotSupportedException($"[{family}] device {device} is not available");
        return FamilyDevices.Get(device);
    }

    internal static float[] Optional(GoldenCase golden, string name) => golden.Has(name) ? golden.Get(name).Data : [];
}
