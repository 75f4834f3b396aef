using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Norm;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>rmsnorm</c> (FORMAT.md 4.9): optional bias and residual add (with residual_out), on the Cpu kernel or,
/// on an ILGPU device, the Gpu kernel.</summary>
public sealed class RmsNormFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "rmsnorm";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        RunNorm(golden, device, "in.residual", null, new RmsNormOptions(golden.Double("eps", 1e-5)), groupSize: 0);

    /// <summary>Shared driver of the two norm families: forward, then backward when the file holds
    /// cotangents.</summary>
    internal static Dictionary<string, HostArray> RunNorm(GoldenCase golden, DeviceSpec device, string? residualName,
        string? zName, RmsNormOptions o, int groupSize)
    {
        GpuDevice? gpu = CausalConv1dFamily.GpuOrCpu(device, golden.Family);
        var x = golden.Get("in.x");
        var w = golden.Get("in.weight");
        float[] bias = Opt(golden, "in.bias"), res = Opt(golden, residualName), z = Opt(golden, zName);
        var s = new RmsNormShape(x.Data.Length / w.Data.Length, w.Data.Length, groupSize);
        bool wantResOut = golden.Has("out.residual_out") || res.Length > 0;
        float[] y = new float[x.Data.Length], ro = new float[wantResOut ? x.Data.Length : 0];
        if (gpu is null) RmsNorm.Cpu.Forward(s, x.Data, res, z, w.Data, bias, y, ro, o);
        else RmsNorm.Gpu.Forward(gpu, s, x.Data, res, z, w.Data, bias, y, ro, o);
        var result = new Dictionary<string, HostArray> { ["out.y"] = new(x.Shape, y) };
        if (wantResOut) result["out.residual_out"] = new(x.Shape, ro);
        if (!golden.Has("grad_in.y")) return result;

        float[] dx = new float[x.Data.Length], dres = new float[res.Length], dz = new float[z.Length];
        float[] dw = new float[w.Data.Length], db = new float[bias.Length];
        float[] dy = golden.Get("grad_in.y").Data, dro = Opt(golden, "grad_in.residual_out");
        if (gpu is null) RmsNorm.Cpu.Backward(s, x.Data, res, z, w.Data, bias, dy, dro, dx, dres, dz, dw, db, o);
        else RmsNorm.Gpu.Backward(gpu, s, x.Data, res, z, w.Data, bias, dy, dro, dx, dres, dz, dw, db, o);
        result["grad.x"] = new(x.Shape, dx);
        result["grad.weight"] = new(w.Shape, dw);
        if (bias.Length > 0) result["grad.bias"] = new(w.Shape, db);
        if (res.Length > 0) result["grad.residual"] = new(x.Shape, dres);
        if (z.Length > 0) result["grad.z"] = new(x.Shape, dz);
        return result;
    }

    private static float[] Opt(GoldenCase golden, string? name) =>
        name is not null && golden.Has(name) ? golden.Get(name).Data : [];
}
