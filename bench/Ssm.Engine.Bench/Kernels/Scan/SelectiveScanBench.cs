using BenchmarkDotNet.Attributes;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Bench.Kernels.Scan;

/// <summary>Mamba-1 selective scan forward and backward, Mamba-130m options (delta_bias, softplus, D, z), one
/// group of variable B/C. Cpu at 1 and 2 threads; the float64 Reference on a shorter sequence for scale.
/// <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- --filter '*SelectiveScanBench*'</c></summary>
[MemoryDiagnoser]
public class SelectiveScanBench
{
    private SelectiveScanShape _s;
    private SelectiveScanInputs<float> _x = null!;
    private SelectiveScanInputs<double> _xd = null!;
    private float[] _y = [], _dy = [];
    private double[] _yd = [];

    /// <summary>Sequence length (D = 1536, N = 16).</summary>
    [Params(2048)]
    public int L { get; set; }

    /// <summary>Worker threads of the Cpu path.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _s = new SelectiveScanShape(1, 1536, L, 16);
        var rng = new Random(42);
        float[] F(long n, float lo, float hi)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
            return a;
        }
        long bdl = (long)_s.Dim * L;
        _x = new SelectiveScanInputs<float>
        {
            U = F(bdl, -1, 1), Delta = F(bdl, -3, 0), A = F(_s.Dim * 16, -4, -0.1f), B = F(_s.BLength, -1, 1),
            C = F(_s.CLength, -1, 1), D = F(_s.Dim, -1, 1), Z = F(bdl, -2, 2), DeltaBias = F(_s.Dim, -4, -1),
        };
        double[] Dbl(float[] a) => Array.ConvertAll(a, v => (double)v);
        _xd = new SelectiveScanInputs<double>
        {
            U = Dbl(_x.U), Delta = Dbl(_x.Delta), A = Dbl(_x.A), B = Dbl(_x.B), C = Dbl(_x.C), D = Dbl(_x.D!),
            Z = Dbl(_x.Z!), DeltaBias = Dbl(_x.DeltaBias!),
        };
        _y = new float[bdl];
        _yd = new double[bdl];
        _dy = F(bdl, -1, 1);
        // Validate before timing: Cpu == Reference within the golden tolerance.
        SelectiveScan.Cpu.Forward(_s, Options, _x, _y, null);
        SelectiveScan.Reference.Forward(_s, Options, _xd, _yd, null);
        double max = 0, err = 0;
        for (long i = 0; i < bdl; i++)
        {
            max = Math.Max(max, Math.Abs(_yd[i]));
            err = Math.Max(err, Math.Abs(_y[i] - _yd[i]));
        }
        if (err > 1e-5 + 1e-4 * max) throw new InvalidOperationException($"[selective_scan] Cpu vs Reference {err:g3}");
    }

    private SelectiveScanOptions Options => new(DeltaSoftplus: true, Threads: Threads);

    [Benchmark(Baseline = true)]
    public void CpuForward() => SelectiveScan.Cpu.Forward(_s, Options, _x, _y, null);

    [Benchmark]
    public SelectiveScanGrads<float> CpuBackward() => SelectiveScan.Cpu.Backward(_s, Options, _x, _dy, null);

    [Benchmark]
    public void ReferenceForward() => SelectiveScan.Reference.Forward(_s, Options, _xd, _yd, null);
}
