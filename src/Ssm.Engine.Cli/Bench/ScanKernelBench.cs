// With --device the scan forward runs on device-resident inputs (its device-view entry point, which waits for the
// stream); the other Gpu kernels run through their host overloads, so each timed call includes the uploads and
// downloads (Options says "host-io"). The Gpu path is checked against the Reference in Setup.
using ILGPU;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Cli.Bench;

/// <summary>Machine figures of docs/performance.md §1 (the 2-core build machine) used for the scan bounds,
/// scaled linearly by thread count beyond the measured 1 and 2 threads.</summary>
internal static class ScanRoofline
{
    /// <summary>Lower bound in ms: max(bytes ÷ triad bandwidth, flop ÷ FMA peak + exps ÷ vector-exp rate).</summary>
    public static double BoundMs(double flops, double exps, double bytes, int threads)
    {
        double bw = threads <= 1 ? 20.4e9 : 33.2e9 * threads / 2;
        double fma = threads <= 1 ? 101.3e9 : 202.3e9 * threads / 2;
        double exp = threads <= 1 ? 2.8e9 : 5.1e9 * threads / 2;
        return Math.Max(bytes / bw, flops / fma + exps / exp) * 1e3;
    }

    public static float[] Fill(Random rng, long n, float lo, float hi)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }

    /// <summary>Mamba-130m-like scan inputs: delta_bias, softplus, D and z, one group of variable B/C.</summary>
    public static (SelectiveScanShape, SelectiveScanInputs<float>) Inputs(int b, int d, int l, int n)
    {
        var rng = new Random(42);
        var s = new SelectiveScanShape(b, d, l, n);
        long bdl = (long)b * d * l;
        var x = new SelectiveScanInputs<float>
        {
            U = Fill(rng, bdl, -1, 1), Delta = Fill(rng, bdl, -3, 0), A = Fill(rng, (long)d * n, -4, -0.1f),
            B = Fill(rng, s.BLength, -1, 1), C = Fill(rng, s.CLength, -1, 1), D = Fill(rng, d, -1, 1),
            Z = Fill(rng, bdl, -2, 2), DeltaBias = Fill(rng, d, -4, -1),
        };
        return (s, x);
    }

    /// <summary>Opens <paramref name="device"/> and checks its Gpu path against the Reference on a small shape;
    /// throws <see cref="InvalidOperationException"/> naming the bench and device when they differ.</summary>
    public static GpuDevice OpenValidated(string bench, DeviceSpec device, Func<GpuDevice, string?> validate)
    {
        var gpu = FamilyDevices.Get(device);
        if (validate(gpu) is { } mismatch)
            throw new InvalidOperationException($"[{bench}] the Gpu path on {device} differs: {mismatch}");
        return gpu;
    }

    /// <summary>Runs Cpu (or, given a device, Gpu) and Reference on a small shape; null when they agree within the
    /// golden tolerance.</summary>
    public static string? Validate(bool backward, GpuDevice? gpu = null)
    {
        var (s, xf) = Inputs(2, 5, 37, 16);
        var o = new SelectiveScanOptions(DeltaSoftplus: true);
        var xd = new SelectiveScanInputs<double>
        {
            U = D(xf.U), Delta = D(xf.Delta), A = D(xf.A), B = D(xf.B), C = D(xf.C), D = D(xf.D!), Z = D(xf.Z!),
            DeltaBias = D(xf.DeltaBias!),
        };
        var yf = new float[xf.U.Length];
        var yd = new double[xf.U.Length];
        if (gpu is null) SelectiveScan.Cpu.Forward(s, o, xf, yf, null);
        else SelectiveScan.Gpu.Forward(gpu, s, o, xf, yf, null);
        SelectiveScan.Reference.Forward(s, o, xd, yd, null);
        string? err = Compare("y", yf, yd, 1e-4);
        if (err is not null || !backward) return err;
        var gf = gpu is null ? SelectiveScan.Cpu.Backward(s, o, xf, xf.U, null)
            : SelectiveScan.Gpu.Backward(gpu, s, o, xf, xf.U, null);
        var gd = SelectiveScan.Reference.Backward(s, o, xd, xd.U, null);
        return Compare("du", gf.U, gd.U, 2e-4) ?? Compare("ddelta", gf.Delta, gd.Delta, 2e-4)
            ?? Compare("dA", gf.A, gd.A, 2e-4) ?? Compare("dB", gf.B, gd.B, 2e-4) ?? Compare("dC", gf.C, gd.C, 2e-4);
    }

    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    public static string? Compare(string name, float[] got, double[] want, double rtol)
    {
        double max = want.Max(Math.Abs), err = 0;
        for (int i = 0; i < want.Length; i++) err = Math.Max(err, Math.Abs(got[i] - want[i]));
        return err <= 1e-5 + rtol * max ? null : $"{name}: max|got - Reference| {err:g3} (max|ref| {max:g3})";
    }
}

/// <summary><c>ssm bench scan</c>: Mamba-1 selective scan forward (Cpu, or Gpu with --device), Mamba-130m
/// options.</summary>
public sealed class ScanKernelBench : IDeviceKernelBench
{
    private GpuDevice? _gpu;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        Setup(shape, threads);
        var gpu = ScanRoofline.OpenValidated(Name, device, g => ScanRoofline.Validate(backward: false, g));
        ArrayView<float> Up(float[]? a)
        {
            if (a is null) return default;
            var b = gpu.Upload(a);
            _buffers.Add(b);
            return b.View;
        }
        _views = new SelectiveScanViews
        {
            U = Up(_x.U), Delta = Up(_x.Delta), A = Up(_x.A), B = Up(_x.B), C = Up(_x.C), D = Up(_x.D), Z = Up(_x.Z),
            DeltaBias = Up(_x.DeltaBias),
        };
        var y = gpu.Allocate(_y.Length);
        _buffers.Add(y);
        _yView = y.View;
        _gpu = gpu;
    }

    private SelectiveScanShape _s;
    private SelectiveScanInputs<float> _x = null!;
    private SelectiveScanOptions _o;
    private float[] _y = [];
    // Device-resident inputs and output of the timed calls (released at the next setup).
    private readonly List<IDisposable> _buffers = [];
    private SelectiveScanViews? _views;
    private ArrayView<float> _yView;

    /// <inheritdoc/>
    public string Name => "scan";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["B"] = 1, ["D"] = 1536, ["L"] = 2048, ["N"] = 16 };

    /// <inheritdoc/>
    public string? Validate() => ScanRoofline.Validate(backward: false);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        _gpu = null;
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
        _views = null;
        (_s, _x) = ScanRoofline.Inputs(shape["B"], shape["D"], shape["L"], shape["N"]);
        _o = new SelectiveScanOptions(DeltaSoftplus: true, Threads: threads);
        _y = new float[_x.U.Length];
        double updates = (double)_s.Batch * _s.Dim * _s.Length * _s.State, bdl = (double)_s.Batch * _s.Dim * _s.Length;
        Flops = 6 * updates + 2 * bdl;
        // u, delta, z read, y written; B, C, A read once.
        Bytes = 4 * (4 * bdl + _s.BLength + _s.CLength + _x.A.Length);
        BoundMs = ScanRoofline.BoundMs(Flops, updates, Bytes, threads);
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (_gpu is null) SelectiveScan.Cpu.Forward(_s, _o, _x, _y, null);
        else SelectiveScan.Gpu.Forward(_gpu, _s, _o, _views!, _yView, default);
    }

    /// <inheritdoc/>
    public double Flops { get; private set; }

    /// <inheritdoc/>
    public double Bytes { get; private set; }

    /// <inheritdoc/>
    public double? BoundMs { get; private set; }

    /// <inheritdoc/>
    public string Options => "delta_bias,softplus,D,z" + (_gpu is null ? "" : ",device-resident");
}

/// <summary><c>ssm bench scan-bwd</c>: Mamba-1 selective scan backward (Cpu or Gpu; recomputes the forward).
/// </summary>
public sealed class ScanBackwardKernelBench : IDeviceKernelBench
{
    private GpuDevice? _gpu;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        Setup(shape, threads);
        _gpu = ScanRoofline.OpenValidated(Name, device, g => ScanRoofline.Validate(backward: true, g));
    }

    private SelectiveScanShape _s;
    private SelectiveScanInputs<float> _x = null!;
    private SelectiveScanOptions _o;
    private float[] _dy = [];
    private SelectiveScanGrads<float> _grads = null!;

    /// <inheritdoc/>
    public string Name => "scan-bwd";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["B"] = 1, ["D"] = 1536, ["L"] = 2048, ["N"] = 16 };

    /// <inheritdoc/>
    public string? Validate() => ScanRoofline.Validate(backward: true);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        _gpu = null;
        (_s, _x) = ScanRoofline.Inputs(shape["B"], shape["D"], shape["L"], shape["N"]);
        _o = new SelectiveScanOptions(DeltaSoftplus: true, Threads: threads);
        _dy = ScanRoofline.Fill(new Random(7), _x.U.Length, -1, 1);
        _grads = SelectiveScanGrads<float>.ZerosLike(_x);
        double updates = (double)_s.Batch * _s.Dim * _s.Length * _s.State, bdl = (double)_s.Batch * _s.Dim * _s.Length;
        // Forward recompute (6 per update, one exp) + reverse recurrence (about 14 per update, no exp).
        Flops = 20 * updates + 12 * bdl;
        // u, delta, z, dy read; du, ddelta, dz written; B, C, A read and dB, dC, dA written once.
        Bytes = 4 * (7 * bdl + 2 * (_s.BLength + _s.CLength + _x.A.Length));
        BoundMs = ScanRoofline.BoundMs(Flops, updates, Bytes, threads);
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (_gpu is null) SelectiveScan.Cpu.Backward(_s, _o, _x, _dy, null, _grads);
        else SelectiveScan.Gpu.Backward(_gpu, _s, _o, _x, _dy, null);
    }

    /// <inheritdoc/>
    public double Flops { get; private set; }

    /// <inheritdoc/>
    public double Bytes { get; private set; }

    /// <inheritdoc/>
    public double? BoundMs { get; private set; }

    /// <inheritdoc/>
    public string Options => "delta_bias,softplus,D,z" + (_gpu is null ? "" : ",host-io");
}

/// <summary><c>ssm bench state-update</c>: one Mamba-1 decode step (Cpu, or Gpu with --device).</summary>
public sealed class StateUpdateKernelBench : IDeviceKernelBench
{
    private GpuDevice? _gpu;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        var gpu = ScanRoofline.OpenValidated(Name, device, ValidateOn); // rebuilds the inputs at a small shape
        Setup(shape, threads);
        _gpu = gpu;
    }

    private SelectiveStateUpdateShape _s;
    private SelectiveStateUpdateInputs<float> _x = null!;
    private SelectiveStateUpdateOptions _o;
    private float[] _y = [], _state = [];

    /// <inheritdoc/>
    public string Name => "state-update";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["B"] = 1, ["D"] = 1536, ["N"] = 16 };

    /// <inheritdoc/>
    public string? Validate() => ValidateOn(null);

    private string? ValidateOn(GpuDevice? gpu)
    {
        Build(2, 7, 16, 1);
        var xd = new SelectiveStateUpdateInputs<double>
        {
            State = ScanRoofline.D(_x.State), X = ScanRoofline.D(_x.X), Dt = ScanRoofline.D(_x.Dt),
            A = ScanRoofline.D(_x.A), B = ScanRoofline.D(_x.B), C = ScanRoofline.D(_x.C), D = ScanRoofline.D(_x.D!),
            Z = ScanRoofline.D(_x.Z!), DtBias = ScanRoofline.D(_x.DtBias!),
        };
        var yd = new double[_y.Length];
        var sd = new double[_state.Length];
        SelectiveStateUpdate.Reference.Step(_s, _o, xd, yd, sd);
        if (gpu is null) SelectiveStateUpdate.Cpu.Step(_s, _o, _x, _y, _state);
        else SelectiveStateUpdate.Gpu.Step(gpu, _s, _o, _x, _y, _state);
        return ScanRoofline.Compare("y", _y, yd, 1e-4) ?? ScanRoofline.Compare("state", _state, sd, 1e-4);
    }

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        _gpu = null;
        Build(shape["B"], shape["D"], shape["N"], threads);
        double updates = (double)_s.Batch * _s.HeadDim * _s.State, bd = (double)_s.Batch * _s.HeadDim;
        Flops = 6 * updates + 8 * bd;
        // state read + written, A read; x, dt, z, y and D, dt_bias once.
        Bytes = 4 * (2 * updates + _x.A.Length + 4 * bd + 2 * _s.HeadDim);
        BoundMs = ScanRoofline.BoundMs(Flops, updates, Bytes, threads);
    }

    private void Build(int b, int d, int n, int threads)
    {
        var rng = new Random(3);
        _s = SelectiveStateUpdateShape.Mamba1(b, d, n);
        _o = new SelectiveStateUpdateOptions(DtSoftplus: true, Threads: threads);
        _x = new SelectiveStateUpdateInputs<float>
        {
            State = ScanRoofline.Fill(rng, (long)b * d * n, -1, 1), X = ScanRoofline.Fill(rng, b * d, -1, 1),
            Dt = ScanRoofline.Fill(rng, b * d, -3, 0), A = ScanRoofline.Fill(rng, (long)d * n, -4, -0.1f),
            B = ScanRoofline.Fill(rng, b * n, -1, 1), C = ScanRoofline.Fill(rng, b * n, -1, 1),
            D = ScanRoofline.Fill(rng, d, -1, 1), Z = ScanRoofline.Fill(rng, b * d, -2, 2),
            DtBias = ScanRoofline.Fill(rng, d, -4, -1),
        };
        _y = new float[b * d];
        _state = new float[_x.State.Length];
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (_gpu is null) SelectiveStateUpdate.Cpu.Step(_s, _o, _x, _y, _state);
        else SelectiveStateUpdate.Gpu.Step(_gpu, _s, _o, _x, _y, _state);
    }

    /// <inheritdoc/>
    public double Flops { get; private set; }

    /// <inheritdoc/>
    public double Bytes { get; private set; }

    /// <inheritdoc/>
    public double? BoundMs { get; private set; }

    /// <inheritdoc/>
    public string Options => "dt_bias,softplus,D,z" + (_gpu is null ? "" : ",host-io");
}
