using BenchmarkDotNet.Attributes;
using Ssm.Engine.Bench.Kernels.Conv1d;
using Ssm.Engine.Kernels.Norm;

namespace Ssm.Engine.Bench.Kernels.Norm;

/// <summary>RMSNorm over (R, C) rows: plain (Mamba block norm, C = 768) and Mamba-2's gated grouped form
/// (z, norm_before_gate = false, group = C/G). GlobalSetup checks Cpu against Reference before timing.</summary>
public class RmsNormBench
{
    private RmsNormShape _s;
    private RmsNormOptions _o;
    private float[] _x = [], _z = [], _w = [], _y = [], _dy = [], _dx = [], _dz = [], _dw = [];

    /// <summary>Rows R (tokens).</summary>
    [Params(2048)] public int R { get; set; }

    /// <summary>Channels C.</summary>
    [Params(768, 1536)] public int C { get; set; }

    /// <summary>Gated (z, grouped in 8 groups) or plain.</summary>
    [Params(false, true)] public bool Gated { get; set; }

    /// <summary>Implementation.</summary>
    [ParamsAllValues] public ConvVariant V { get; set; }

    /// <summary>Allocates inputs and validates Cpu against Reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _s = new RmsNormShape(R, C, Gated ? C / 8 : 0);
        _o = new RmsNormOptions(1e-5, NormBeforeGate: false);
        int n = R * C;
        _x = CausalConv1dBench.Rand(n, 1); _w = CausalConv1dBench.Rand(C, 2); _dy = CausalConv1dBench.Rand(n, 3);
        _z = Gated ? CausalConv1dBench.Rand(n, 4) : [];
        _y = new float[n]; _dx = new float[n]; _dz = new float[_z.Length]; _dw = new float[C];
        var y0 = new float[n];
        RmsNorm.Reference.Forward(_s, _x, [], _z, _w, [], y0, [], _o);
        RmsNorm.Cpu.Forward(_s, _x, [], _z, _w, [], _y, [], _o);
        CausalConv1dBench.Check("y", y0, _y);
        float[] dx0 = new float[n], dz0 = new float[_z.Length], dw0 = new float[C];
        RmsNorm.Reference.Backward(_s, _x, [], _z, _w, [], _dy, [], dx0, [], dz0, dw0, [], _o);
        RmsNorm.Cpu.Backward(_s, _x, [], _z, _w, [], _dy, [], _dx, [], _dz, _dw, [], _o);
        CausalConv1dBench.Check("dx", dx0, _dx);
        CausalConv1dBench.Check("dz", dz0, _dz);
        CausalConv1dBench.Check("dweight", dw0, _dw);
        Console.WriteLine("// RmsNorm: Cpu matches Reference. Starting benchmarks.");
    }

    /// <summary>y = rmsnorm(x (·silu(z))) · w.</summary>
    [Benchmark]
    public void Forward()
    {
        if (V == ConvVariant.Cpu) RmsNorm.Cpu.Forward(_s, _x, [], _z, _w, [], _y, [], _o);
        else RmsNorm.Reference.Forward(_s, _x, [], _z, _w, [], _y, [], _o);
    }

    /// <summary>dx, dz, dweight from dy.</summary>
    [Benchmark]
    public void Backward()
    {
        if (V == ConvVariant.Cpu) RmsNorm.Cpu.Backward(_s, _x, [], _z, _w, [], _dy, [], _dx, [], _dz, _dw, [], _o);
        else RmsNorm.Reference.Backward(_s, _x, [], _z, _w, [], _dy, [], _dx, [], _dz, _dw, [], _o);
    }
}
