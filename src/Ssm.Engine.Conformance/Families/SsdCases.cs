using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Ssd;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Reads <c>ssd</c> / <c>ssd_equiv</c> / <c>ssd_minimal</c> golden cases (FORMAT.md 4.4-4.6) into kernel
/// arguments and runs the SSD kernels forward and backward: the Cpu ones, or the ILGPU ones on an ILGPU
/// device.</summary>
internal static class SsdCases
{
    /// <summary>Algorithm names used as conformance variants.</summary>
    public static readonly string[] AlgorithmNames = ["chunked", "recurrent"];

    public static SsdAlgorithm ParseAlgorithm(string? name) => name switch
    {
        null => SsdAlgorithm.Auto,
        "chunked" => SsdAlgorithm.Chunked,
        "recurrent" => SsdAlgorithm.Recurrent,
        _ => throw new ArgumentException($"[ssd] unknown algorithm '{name}' (chunked, recurrent)"),
    };

    /// <summary>Shape, options and inputs of an <c>ssd</c> / <c>ssd_equiv</c> case.</summary>
    public static (SsdShape Shape, SsdOptions Options, SsdInputs<float> Inputs) Load(GoldenCase g, SsdAlgorithm alg)
    {
        var x = g.Get("in.x");
        var bm = g.Get("in.B");
        var shape = new SsdShape(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), bm.Dim(2), bm.Dim(3));
        float lo = 0f, hi = float.PositiveInfinity;
        if (g.Params.TryGetProperty("dt_limit", out var lim) && lim.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            lo = (float)lim[0].GetDouble();
            hi = (float)lim[1].GetDouble();
        }
        var options = new SsdOptions
        {
            DtSoftplus = g.Flag("dt_softplus"), DtMin = lo, DtMax = hi,
            ChunkSize = g.Int("chunk_size", 256), Algorithm = alg,
        };
        var inputs = new SsdInputs<float>
        {
            X = x.Data, Dt = g.Get("in.dt").Data, A = g.Get("in.A").Data, B = bm.Data, C = g.Get("in.C").Data,
            D = g.TryGet("in.D")?.Data, Z = g.TryGet("in.z")?.Data, DtBias = g.TryGet("in.dt_bias")?.Data,
            InitialStates = g.TryGet("in.initial_states")?.Data,
        };
        return (shape, options, inputs);
    }

    /// <summary>Runs an <c>ssd</c> case; with <paramref name="equiv"/> also the recurrent outputs of 4.5.</summary>
    public static Dictionary<string, HostArray> RunSsd(GoldenCase g, string? algorithm, bool equiv,
        DeviceSpec device)
    {
        GpuDevice? gpu = GpuOf(device);
        var (s, o, x) = Load(g, ParseAlgorithm(algorithm));
        void Forward(SsdOptions op, float[] y, float[] fin)
        {
            if (gpu is null) Ssd.Cpu.Forward(s, op, x, y, fin);
            else Ssd.Gpu.Forward(gpu, s, op, x, y, fin);
        }
        var result = new Dictionary<string, HostArray>();
        int[] yShape = g.Get("in.x").Shape, stShape = [s.B, s.H, s.P, s.N];
        var y = new float[s.XLength];
        var fin = new float[s.StateLength];
        Forward(o, y, fin);
        result["out.y"] = new HostArray(yShape, y);
        if (g.Has("out.final_states")) result["out.final_states"] = new HostArray(stShape, fin);
        if (equiv)
        {
            var yr = new float[s.XLength];
            var fr = new float[s.StateLength];
            Forward(o with { Algorithm = SsdAlgorithm.Recurrent }, yr, fr);
            result["out.y_recurrent"] = new HostArray(yShape, yr);
            result["out.final_states_recurrent"] = new HostArray(stShape, fr);
        }
        var grads = SsdGradients<float>.Allocate(x);
        float[] dy = g.Get("grad_in.y").Data;
        float[]? dFinal = g.TryGet("grad_in.final_states")?.Data;
        if (gpu is null) Ssd.Cpu.Backward(s, o, x, dy, dFinal, grads);
        else Ssd.Gpu.Backward(gpu, s, o, x, dy, dFinal, grads);
        Put(result, g, "x", grads.X);
        Put(result, g, "dt", grads.Dt);
        Put(result, g, "A", grads.A);
        Put(result, g, "B", grads.B);
        Put(result, g, "C", grads.C);
        Put(result, g, "D", grads.D);
        Put(result, g, "z", grads.Z);
        Put(result, g, "dt_bias", grads.DtBias);
        Put(result, g, "initial_states", grads.InitialStates);
        return result;
    }

    /// <summary>Runs an <c>ssd_minimal</c> case (pre-discretised form, per-head B/C).</summary>
    public static Dictionary<string, HostArray> RunMinimal(GoldenCase g, string? algorithm, DeviceSpec device)
    {
        GpuDevice? gpu = GpuOf(device);
        var xIn = g.Get("in.X");
        var bm = g.Get("in.B");
        var s = new SsdShape(xIn.Dim(0), xIn.Dim(1), xIn.Dim(2), xIn.Dim(3), bm.Dim(2), bm.Dim(3));
        var o = new SsdOptions { ChunkSize = g.Int("block_len", 256), Algorithm = ParseAlgorithm(algorithm) };
        var x = new SsdDiscreteInputs<float>
        {
            X = xIn.Data, A = g.Get("in.A").Data, B = bm.Data, C = g.Get("in.C").Data,
            InitialStates = g.TryGet("in.initial_states")?.Data,
        };
        var y = new float[s.XLength];
        var fin = new float[s.StateLength];
        if (gpu is null) Ssd.Cpu.ForwardDiscrete(s, o, x, y, fin);
        else Ssd.Gpu.ForwardDiscrete(gpu, s, o, x, y, fin);
        var result = new Dictionary<string, HostArray>
        {
            ["out.y"] = new(xIn.Shape, y),
            ["out.final_states"] = new([s.B, s.H, s.P, s.N], fin),
        };
        var grads = SsdDiscreteGradients<float>.Allocate(x);
        float[] dy = g.Get("grad_in.y").Data;
        float[]? dFinal = g.TryGet("grad_in.final_states")?.Data;
        if (gpu is null) Ssd.Cpu.BackwardDiscrete(s, o, x, dy, dFinal, grads);
        else Ssd.Gpu.BackwardDiscrete(gpu, s, o, x, dy, dFinal, grads);
        Put(result, g, "X", grads.X);
        Put(result, g, "A", grads.A);
        Put(result, g, "B", grads.B);
        Put(result, g, "C", grads.C);
        Put(result, g, "initial_states", grads.InitialStates);
        return result;
    }

    /// <summary>The shared ILGPU device for an ILGPU spec; null (the Cpu kernels) for the CPU.</summary>
    private static GpuDevice? GpuOf(DeviceSpec device) => device.IsGpu() ? FamilyDevices.Get(device) : null;

    private static void Put(Dictionary<string, HostArray> result, GoldenCase g, string input, float[]? grad)
    {
        if (grad is null || !g.Has("in." + input)) return;
        result["grad." + input] = new HostArray(g.Get("in." + input).Shape, grad);
    }
}
