using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>causal_conv1d_update</c> (FORMAT.md 4.8): linear or circular conv state, single token (x (B, D)) or
/// several (x (B, D, L)), forward and backward on the Cpu kernel or, on an ILGPU device, the Gpu kernel.</summary>
public sealed class CausalConv1dUpdateFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "causal_conv1d_update";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        GpuDevice? gpu = CausalConv1dFamily.GpuOrCpu(device, Family);
        var x = golden.Get("in.x");
        var st = golden.Get("in.conv_state");
        var w = golden.Get("in.weight");
        float[] bias = CausalConv1dFamily.Optional(golden, "in.bias");
        int[] seqlens = golden.Has("in.cache_seqlens")
            ? Array.ConvertAll(golden.File.ReadInt64("in.cache_seqlens"), v => checked((int)v))
            : [];
        int L = x.Rank == 2 ? 1 : x.Dim(2);
        var s = new CausalConv1dUpdateShape(x.Dim(0), x.Dim(1), L, w.Dim(1), st.Dim(2));
        var o = new CausalConv1dOptions(Silu: golden.String("activation") == "silu");
        float[] y = new float[x.Data.Length], ns = new float[st.Data.Length];
        if (gpu is null) CausalConv1d.Cpu.Step(s, x.Data, st.Data, w.Data, bias, seqlens, y, ns, o);
        else CausalConv1d.Gpu.Step(gpu, s, x.Data, st.Data, w.Data, bias, seqlens, y, ns, o);
        var result = new Dictionary<string, HostArray>
        {
            ["out.y"] = new(x.Shape, y),
            ["out.conv_state"] = new(st.Shape, ns),
        };
        if (!golden.Has("grad_in.y")) return result;

        float[] dNew = golden.Has("grad_in.conv_state") ? golden.Get("grad_in.conv_state").Data : new float[ns.Length];
        float[] dx = new float[x.Data.Length], ds = new float[st.Data.Length];
        float[] dw = new float[w.Data.Length], db = new float[bias.Length];
        float[] dy = golden.Get("grad_in.y").Data;
        if (gpu is null)
            CausalConv1d.Cpu.StepBackward(s, x.Data, st.Data, w.Data, bias, seqlens, dy, dNew, dx, ds, dw, db, o);
        else
            CausalConv1d.Gpu.StepBackward(gpu, s, x.Data, st.Data, w.Data, bias, seqlens, dy, dNew, dx, ds, dw, db, o);
        result["grad.x"] = new(x.Shape, dx);
        result["grad.conv_state"] = new(st.Shape, ds);
        result["grad.weight"] = new(w.Shape, dw);
        if (bias.Length > 0) result["grad.bias"] = new([s.Channels], db);
        return result;
    }
}
