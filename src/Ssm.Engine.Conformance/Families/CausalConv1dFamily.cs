using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>causal_conv1d</c> (FORMAT.md 4.7) on the Cpu kernel: y, final_states and every gradient.</summary>
public sealed class CausalConv1dFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "causal_conv1d";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        if (device.Kind != DeviceKind.Cpu) throw new NotSupportedException($"[causal_conv1d] device {device.Kind}");
        var x = golden.Get("in.x");
        var w = golden.Get("in.weight");
        float[] bias = Optional(golden, "in.bias"), init = Optional(golden, "in.initial_states");
        var s = new CausalConv1dShape(x.Dim(0), x.Dim(1), x.Dim(2), w.Dim(1));
        var o = new CausalConv1dOptions(Silu: golden.String("activation") == "silu");
        bool final = golden.Has("out.final_states");
        var y = new float[x.Data.Length];
        var fin = new float[final ? s.Rows * s.StateWidth : 0];
        CausalConv1d.Cpu.Forward(s, x.Data, w.Data, bias, init, y, fin, o);
        var result = new Dictionary<string, HostArray> { ["out.y"] = new(x.Shape, y) };
        if (final) result["out.final_states"] = new([s.Batch, s.Channels, s.StateWidth], fin);
        if (!golden.Has("grad_in.y")) return result;

        float[] dFinal = Optional(golden, "grad_in.final_states");
        float[] dx = new float[x.Data.Length], dw = new float[w.Data.Length], db = new float[bias.Length];
        var dInit = new float[init.Length];
        CausalConv1d.Cpu.Backward(s, x.Data, w.Data, bias, init, golden.Get("grad_in.y").Data, dFinal, dx, dw, db,
            dInit, o);
        result["grad.x"] = new(x.Shape, dx);
        result["grad.weight"] = new(w.Shape, dw);
        if (bias.Length > 0) result["grad.bias"] = new([s.Channels], db);
        if (init.Length > 0) result["grad.initial_states"] = new([s.Batch, s.Channels, s.StateWidth], dInit);
        return result;
    }

    internal static float[] Optional(GoldenCase golden, string name) => golden.Has(name) ? golden.Get(name).Data : [];
}
