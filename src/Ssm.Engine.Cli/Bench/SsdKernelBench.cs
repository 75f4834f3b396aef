// ssm bench ssd | ssd-recurrent | ssd-chunked | ssd-bwd: the Mamba-2 SSD CPU kernels at the M2 shape
// (B 1, H 24, P 64, N 128, G 1, L 2048, Q 256), inputs like the C peer (dt in [0.01, 0.1], no softplus, D, z).
// Bounds follow docs/performance.md: max(bytes / triad bandwidth, flops / FMA peak + exps / exp rate).
// With --device the Ssd.Gpu host overloads run (each timed call includes uploads and downloads: Options says
// "host-io"), after the Gpu path is checked against the Reference in Setup.
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Ssd;

namespace Ssm.Engine.Cli.Bench;

/// <summary>Shared setup of the SSD benchmarks.</summary>
public abstract class SsdKernelBenchBase : IDeviceKernelBench
{
    private GpuDevice? _gpu;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => Conformance.Families.FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        Setup(shape, threads);
        _gpu = ScanRoofline.OpenValidated(Name, device, ValidateOn);
    }

    private SsdShape _shape;
    private SsdInputs<float>? _inputs;
    private float[] _y = [], _final = [], _dy = [], _dFinal = [];
    private SsdGradients<float>? _grads;
    private int _threads = 1;

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The algorithm a forward run uses (ignored by the backward).</summary>
    protected abstract SsdAlgorithm Algorithm { get; }

    /// <summary>True for the backward benchmark.</summary>
    protected virtual bool IsBackward => false;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> DefaultShape { get; } = new Dictionary<string, int>
    {
        ["B"] = 1, ["L"] = 2048, ["H"] = 24, ["P"] = 64, ["N"] = 128, ["G"] = 1, ["Q"] = 256,
    };

    private SsdOptions MakeOptions(int chunk) => new()
    {
        Algorithm = Algorithm, ChunkSize = chunk, Threads = _threads,
    };

    /// <inheritdoc/>
    public string? Validate() => ValidateOn(null);

    private string? ValidateOn(GpuDevice? gpu)
    {
        var s = new SsdShape(2, 45, 4, 12, 2, 20);
        var x = Inputs(s, new Random(7));
        var o = new SsdOptions { Algorithm = Algorithm, ChunkSize = 16, DtSoftplus = true };
        var dy = Fill(new Random(8), s.XLength, -1, 1);
        var dF = Fill(new Random(9), s.StateLength, -1, 1);
        if (IsBackward)
        {
            var want = SsdGradients<float>.Allocate(x);
            var got = SsdGradients<float>.Allocate(x);
            Ssd.Reference.Backward(s, o, x, dy, dF, want);
            if (gpu is null) Ssd.Cpu.Backward(s, o, x, dy, dF, got);
            else Ssd.Gpu.Backward(gpu, s, o, x, dy, dF, got);
            return Compare("grad.x", want.X, got.X) ?? Compare("grad.dt", want.Dt, got.Dt) ??
                Compare("grad.B", want.B, got.B) ?? Compare("grad.C", want.C, got.C) ??
                Compare("grad.A", want.A, got.A);
        }
        float[] y0 = new float[s.XLength], y1 = new float[s.XLength];
        float[] f0 = new float[s.StateLength], f1 = new float[s.StateLength];
        Ssd.Reference.Forward(s, o, x, y0, f0);
        if (gpu is null) Ssd.Cpu.Forward(s, o, x, y1, f1);
        else Ssd.Gpu.Forward(gpu, s, o, x, y1, f1);
        return Compare("y", y0, y1) ?? Compare("final_states", f0, f1);
    }

    private static string? Compare(string name, float[] want, float[] got)
    {
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < want.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(want[i] - got[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(want[i]));
        }
        return maxDiff <= 1e-5 + 2e-4 * maxAbs ? null : $"[ssd] {name}: max|diff| {maxDiff:g3} vs max|ref| {maxAbs:g3}";
    }

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        _gpu = null;
        int Get(string k) => shape.TryGetValue(k, out var v) ? v : DefaultShape[k];
        _shape = new SsdShape(Get("B"), Get("L"), Get("H"), Get("P"), Get("G"), Get("N"));
        _shape.Validate();
        _threads = Math.Max(1, threads);
        _chunk = Get("Q");
        var rng = new Random(1);
        _inputs = new SsdInputs<float>
        {
            X = Fill(rng, _shape.XLength, -1, 1), Dt = Fill(rng, _shape.DtLength, 0.01f, 0.1f),
            A = Fill(rng, _shape.H, -2, -0.5f), B = Fill(rng, _shape.BcLength, -1, 1),
            C = Fill(rng, _shape.BcLength, -1, 1),
        };
        _y = new float[_shape.XLength];
        _final = new float[_shape.StateLength];
        if (IsBackward)
        {
            _dy = Fill(rng, _shape.XLength, -1, 1);
            _dFinal = Fill(rng, _shape.StateLength, -1, 1);
            _grads = SsdGradients<float>.Allocate(_inputs);
        }
    }

    private int _chunk = 256;

    /// <inheritdoc/>
    public void Run()
    {
        var o = MakeOptions(_chunk);
        if (_gpu is not null)
        {
            if (IsBackward) Ssd.Gpu.Backward(_gpu, _shape, o, _inputs!, _dy, _dFinal, _grads!);
            else Ssd.Gpu.Forward(_gpu, _shape, o, _inputs!, _y, _final);
        }
        else if (IsBackward) Ssd.Cpu.Backward(_shape, o, _inputs!, _dy, _dFinal, _grads!);
        else Ssd.Cpu.Forward(_shape, o, _inputs!, _y, _final);
    }

    private bool UsesChunked => !IsBackward &&
        Ssd.Cpu.Resolve(_shape, new SsdOptions { Algorithm = Algorithm }) == SsdAlgorithm.Chunked;

    private double Updates => (double)_shape.B * _shape.L * _shape.H * _shape.P * _shape.N;

    private double Exps => UsesChunked
        ? (double)_shape.B * _shape.H * Math.Ceiling((double)_shape.L / _chunk) * _chunk * _chunk
        : (double)_shape.B * _shape.L * _shape.H;

    /// <inheritdoc/>
    public double Flops
    {
        get
        {
            var s = _shape;
            if (IsBackward) return 12 * Updates;   // forward sweep 3 + dC 2; reverse 3 + du 2 + dB 2
            if (!UsesChunked) return 5 * Updates;  // decay-add (mul + FMA) + y FMA
            double chunks = Math.Ceiling((double)s.L / _chunk) * s.B, q = _chunk;
            return chunks * (s.H * (2 * q * q * s.P + 4 * q * s.N * s.P) + s.G * 2 * q * q * s.N);
        }
    }

    /// <inheritdoc/>
    public double Bytes
    {
        get
        {
            var s = _shape;
            double io = 4.0 * (2.0 * s.XLength + 2.0 * s.BcLength + s.DtLength + s.StateLength);
            return IsBackward ? 2 * io + 4.0 * s.StateLength : io;
        }
    }

    /// <inheritdoc/>
    public double? BoundMs
    {
        get
        {
            bool one = _threads == 1;
            double peak = one ? 101.3e9 : 202.3e9, bw = one ? 20.4e9 : 33.2e9, exp = one ? 2.8e9 : 5.1e9;
            return 1e3 * Math.Max(Bytes / bw, Flops / peak + Exps / exp);
        }
    }

    /// <inheritdoc/>
    public string Options => $"algorithm={AlgorithmName},Q={_chunk},D=none,z=none,softplus=false" +
        (_gpu is null ? "" : ",host-io");

    private string AlgorithmName => IsBackward ? "recurrent-backward"
        : Ssd.Cpu.Resolve(_shape, new SsdOptions { Algorithm = Algorithm }).ToString().ToLowerInvariant();

    private static SsdInputs<float> Inputs(SsdShape s, Random rng) => new()
    {
        X = Fill(rng, s.XLength, -1, 1), Dt = Fill(rng, s.DtLength, -3, 0), A = Fill(rng, s.H, -2, -0.5f),
        B = Fill(rng, s.BcLength, -1, 1), C = Fill(rng, s.BcLength, -1, 1), D = Fill(rng, s.H, -1, 1),
        Z = Fill(rng, s.XLength, -2, 2), DtBias = Fill(rng, s.H, -1, 1),
        InitialStates = Fill(rng, s.StateLength, -1, 1),
    };

    private static float[] Fill(Random rng, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }
}

/// <summary><c>ssm bench ssd</c>: the algorithm <see cref="SsdAlgorithm.Auto"/> picks.</summary>
public sealed class SsdKernelBench : SsdKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "ssd";

    /// <inheritdoc/>
    protected override SsdAlgorithm Algorithm => SsdAlgorithm.Auto;
}

/// <summary><c>ssm bench ssd-recurrent</c>: the token-by-token recurrence.</summary>
public sealed class SsdRecurrentKernelBench : SsdKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "ssd-recurrent";

    /// <inheritdoc/>
    protected override SsdAlgorithm Algorithm => SsdAlgorithm.Recurrent;
}

/// <summary><c>ssm bench ssd-chunked</c>: the chunked matrix form (chunk size key Q).</summary>
public sealed class SsdChunkedKernelBench : SsdKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "ssd-chunked";

    /// <inheritdoc/>
    protected override SsdAlgorithm Algorithm => SsdAlgorithm.Chunked;
}

/// <summary><c>ssm bench ssd-bwd</c>: the backward (gradients of every input).</summary>
public sealed class SsdBackwardKernelBench : SsdKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "ssd-bwd";

    /// <inheritdoc/>
    protected override SsdAlgorithm Algorithm => SsdAlgorithm.Auto;

    /// <inheritdoc/>
    protected override bool IsBackward => true;
}
