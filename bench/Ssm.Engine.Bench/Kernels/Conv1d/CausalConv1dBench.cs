using BenchmarkDotNet.Attributes;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Bench.Kernels.Conv1d;

/// <summary>Which implementation a benchmark row times.</summary>
public enum ConvVariant
{
    /// <summary>Plain float64 loops (baseline).</summary>
    Reference,
    /// <summary>SIMD along time, channels in parallel.</summary>
    Cpu,
}

/// <summary>Causal depthwise conv1d forward, backward and single-token update at Mamba-130m-like shapes
/// (x: (B, D, L), weight: (D, K), bias). GlobalSetup checks Cpu against Reference before anything is timed.</summary>
[MemoryDiagnoser]
public class CausalConv1dBench
{
    private CausalConv1dShape _s;
    private CausalConv1dUpdateShape _u;
    private CausalConv1dOptions _o;
    private float[] _x = [], _w = [], _b = [], _y = [], _dy = [], _dx = [], _dw = [], _db = [];
    private float[] _state = [], _tok = [], _ytok = [];

    /// <summary>Channels D.</summary>
    [Params(1536)] public int D { get; set; }

    /// <summary>Sequence length L.</summary>
    [Params(256, 2048)] public int L { get; set; }

    /// <summary>Conv width K.</summary>
    [Params(4)] public int K { get; set; }

    /// <summary>Apply SiLU.</summary>
    [Params(false, true)] public bool Silu { get; set; }

    /// <summary>Worker threads (0 = all cores).</summary>
    [Params(0)] public int Threads { get; set; }

    /// <summary>Implementation.</summary>
    [ParamsAllValues] public ConvVariant V { get; set; }

    /// <summary>Allocates inputs and validates Cpu against Reference (throws before timing on a mismatch).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _s = new CausalConv1dShape(1, D, L, K);
        _u = new CausalConv1dUpdateShape(1, D, 1, K, K);
        _o = new CausalConv1dOptions(Silu, Threads);
        int n = D * L;
        _x = Rand(n, 1); _w = Rand(D * K, 2); _b = Rand(D, 3); _dy = Rand(n, 4);
        _y = new float[n]; _dx = new float[n]; _dw = new float[D * K]; _db = new float[D];
        _state = Rand(D * K, 5); _tok = Rand(D, 6); _ytok = new float[D];
        var y0 = new float[n];
        CausalConv1d.Reference.Forward(_s, _x, _w, _b, [], y0, [], _o);
        CausalConv1d.Cpu.Forward(_s, _x, _w, _b, [], _y, [], _o);
        Check("y", y0, _y);
        float[] dx0 = new float[n], dw0 = new float[D * K], db0 = new float[D];
        CausalConv1d.Reference.Backward(_s, _x, _w, _b, [], _dy, [], dx0, dw0, db0, [], _o);
        CausalConv1d.Cpu.Backward(_s, _x, _w, _b, [], _dy, [], _dx, _dw, _db, [], _o);
        Check("dx", dx0, _dx);
        Check("dweight", dw0, _dw);
        Check("dbias", db0, _db);
        Console.WriteLine("// CausalConv1d: Cpu matches Reference. Starting benchmarks.");
    }

    /// <summary>y = act(conv(x) + bias).</summary>
    [Benchmark]
    public void Forward()
    {
        if (V == ConvVariant.Cpu) CausalConv1d.Cpu.Forward(_s, _x, _w, _b, [], _y, [], _o);
        else CausalConv1d.Reference.Forward(_s, _x, _w, _b, [], _y, [], _o);
    }

    /// <summary>dx, dweight, dbias from dy.</summary>
    [Benchmark]
    public void Backward()
    {
        if (V == ConvVariant.Cpu) CausalConv1d.Cpu.Backward(_s, _x, _w, _b, [], _dy, [], _dx, _dw, _db, [], _o);
        else CausalConv1d.Reference.Backward(_s, _x, _w, _b, [], _dy, [], _dx, _dw, _db, [], _o);
    }

    /// <summary>One decode token with the rolling state (S = K), in place.</summary>
    [Benchmark]
    public void Step()
    {
        if (V == ConvVariant.Cpu) CausalConv1d.Cpu.Step(_u, _tok, _state, _w, _b, [], _ytok, _state, _o);
        else CausalConv1d.Reference.Step(_u, _tok, _state, _w, _b, [], _ytok, _state, _o);
    }

    internal static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    internal static void Check(string what, float[] want, float[] got)
    {
        double max = 0, err = 0;
        for (int i = 0; i < want.Length; i++)
        {
            max = Math.Max(max, Math.Abs(want[i]));
            err = Math.Max(err, Math.Abs(want[i] - got[i]));
        }
        if (err > 1e-5 + 2e-4 * max)
            throw new InvalidOperationException($"{what}: Cpu differs from Reference by {err:E3} (max {max:E3})");
    }
}
