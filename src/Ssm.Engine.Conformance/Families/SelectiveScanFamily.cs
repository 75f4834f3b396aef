using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Golden family <c>selective_scan</c> (FORMAT.md 4.1) on the Cpu scan kernel, or the
/// ILGPU one on an available ILGPU device.</summary>
public class SelectiveScanFamily : IOpFamily
{
    /// <inheritdoc/>
    public virtual string Family => "selective_scan";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) =>
        device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        GpuDevice? gpu = device.IsGpu() ? FamilyDevices.Get(device) : null;
        var (shape, options, x) = ReadInputs(golden);
        var result = new Dictionary<string, HostArray>();
        var y = new float[x.U.Length];
        bool wantLast = golden.Has("out.last_state");
        float[]? last = wantLast || x.H0 is not null ? new float[shape.Batch * shape.Dim * shape.State] : null;
        if (gpu is null) SelectiveScan.Cpu.Forward(shape, options, x, y, last);
        else SelectiveScan.Gpu.Forward(gpu, shape, options, x, y, last);
        result["out.y"] = new HostArray(golden.Get("in.u").Shape, y);
        if (wantLast) result["out.last_state"] = new HostArray([shape.Batch, shape.Dim, shape.State], last!);

        float[]? dy = golden.TryGet("grad_in.y")?.Data;
        float[]? dLast = golden.TryGet("grad_in.last_state")?.Data;
        if (dy is null && dLast is null) return result;
        var g = gpu is null
            ? SelectiveScan.Cpu.Backward(shape, options, x, dy, dLast)
            : SelectiveScan.Gpu.Backward(gpu, shape, options, x, dy, dLast);
        void Put(string name, float[]? data)
        {
            if (data is not null && golden.Has("in." + name))
                result["grad." + name] = new HostArray(golden.Get("in." + name).Shape, data);
        }
        Put("u", g.U); Put("delta", g.Delta); Put("A", g.A); Put("B", g.B); Put("C", g.C);
        Put("D", g.D); Put("z", g.Z); Put("delta_bias", g.DeltaBias); Put("h0", g.H0);
        return result;
    }

    /// <summary>Reads a selective_scan(_init) case into the kernel's shape, options and inputs.</summary>
    internal static (SelectiveScanShape, SelectiveScanOptions, SelectiveScanInputs<float>) ReadInputs(GoldenCase c)
    {
        var u = c.Get("in.u");
        var a = c.Get("in.A");
        var bm = c.Get("in.B");
        var cm = c.Get("in.C");
        int groups = bm.Rank == 4 ? bm.Dim(1) : cm.Rank == 4 ? cm.Dim(1) : 1;
        var shape = new SelectiveScanShape(u.Dim(0), u.Dim(1), u.Dim(2), a.Dim(1), groups,
            VariableB: bm.Rank > 2, VariableC: cm.Rank > 2);
        var options = new SelectiveScanOptions(DeltaSoftplus: c.Flag("delta_softplus"));
        var x = new SelectiveScanInputs<float>
        {
            U = u.Data, Delta = c.Get("in.delta").Data, A = a.Data, B = bm.Data, C = cm.Data,
            D = c.TryGet("in.D")?.Data, Z = c.TryGet("in.z")?.Data,
            DeltaBias = c.TryGet("in.delta_bias")?.Data, H0 = c.TryGet("in.h0")?.Data,
        };
        return (shape, options, x);
    }
}

/// <summary>Golden family <c>selective_scan_init</c> (FORMAT.md 4.2): the scan started from <c>h0</c>,
/// with a cotangent on <c>last_state</c>.</summary>
public sealed class SelectiveScanInitFamily : SelectiveScanFamily
{
    /// <inheritdoc/>
    public override string Family => "selective_scan_init";
}
