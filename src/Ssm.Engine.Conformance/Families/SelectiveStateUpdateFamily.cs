using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Golden family <c>selective_state_update</c> (FORMAT.md 4.3), Mamba-1 and Mamba-2 forms, on the Cpu
/// decode-step kernel, or the ILGPU one on an available ILGPU device.</summary>
public sealed class SelectiveStateUpdateFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "selective_state_update";

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
        var y = new float[x.X.Length];
        var state = new float[x.State.Length];
        if (gpu is null) SelectiveStateUpdate.Cpu.Step(shape, options, x, y, state);
        else SelectiveStateUpdate.Gpu.Step(gpu, shape, options, x, y, state);
        var result = new Dictionary<string, HostArray>
        {
            ["out.y"] = new(golden.Get("in.x").Shape, y),
            ["out.state"] = new(golden.Get("in.state").Shape, state),
        };
        float[]? dy = golden.TryGet("grad_in.y")?.Data, dState = golden.TryGet("grad_in.state")?.Data;
        if (dy is null && dState is null) return result;
        var g = gpu is null
            ? SelectiveStateUpdate.Cpu.Backward(shape, options, x, dy, dState)
            : SelectiveStateUpdate.Gpu.Backward(gpu, shape, options, x, dy, dState);
        void Put(string name, float[]? data)
        {
            if (data is not null && golden.Has("in." + name))
                result["grad." + name] = new HostArray(golden.Get("in." + name).Shape, data);
        }
        Put("state", g.State); Put("x", g.X); Put("dt", g.Dt); Put("A", g.A); Put("B", g.B); Put("C", g.C);
        Put("D", g.D); Put("z", g.Z); Put("dt_bias", g.DtBias);
        return result;
    }

    /// <summary>Reads a case: state (b, D, N) is the Mamba-1 form (H = 1, P = D), (b, H, P, N) the Mamba-2
    /// form.</summary>
    internal static (SelectiveStateUpdateShape, SelectiveStateUpdateOptions, SelectiveStateUpdateInputs<float>)
        ReadInputs(GoldenCase c)
    {
        var st = c.Get("in.state");
        var bm = c.Get("in.B");
        var shape = st.Rank == 3
            ? SelectiveStateUpdateShape.Mamba1(st.Dim(0), st.Dim(1), st.Dim(2))
            : new SelectiveStateUpdateShape(st.Dim(0), st.Dim(1), st.Dim(2), st.Dim(3), bm.Rank == 3 ? bm.Dim(1) : 1);
        var options = new SelectiveStateUpdateOptions(DtSoftplus: c.Flag("dt_softplus"));
        var x = new SelectiveStateUpdateInputs<float>
        {
            State = st.Data, X = c.Get("in.x").Data, Dt = c.Get("in.dt").Data, A = c.Get("in.A").Data,
            B = bm.Data, C = c.Get("in.C").Data, D = c.TryGet("in.D")?.Data, Z = c.TryGet("in.z")?.Data,
            DtBias = c.TryGet("in.dt_bias")?.Data,
        };
        return (shape, options, x);
    }
}
