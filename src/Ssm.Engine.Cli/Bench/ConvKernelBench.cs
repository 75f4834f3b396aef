// ssm bench conv | conv-bwd | conv-update: causal depthwise conv1d on the Cpu kernel, or with --device on an ILGPU
// device (inputs resident on the device, the stream synchronised inside Run; the roofline bound is the CPU's).
// Roofline inputs (docs/performance.md, measured on the 2-core build machine): STREAM triad 20.4 / 33.2 GB/s and
// FMA peak 101.3 / 202.3 GFLOP/s at 1 / 2 threads; bound = max(bytes / triad, flops / peak).
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Cli.Bench;

/// <summary>Shared setup of the conv benches: x (B, D, L), weight (D, K), bias (D,); key <c>silu</c> = 0/1.</summary>
public abstract class ConvKernelBenchBase : IDeviceKernelBench
{
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> _buffers = [];

    /// <summary>The ILGPU device of the timed calls, or null on the CPU.</summary>
    protected GpuDevice? Gpu { get; private set; }
    /// <summary>Shape in use (B, D, L, K, silu).</summary>
    protected CausalConv1dShape Shape;

    /// <summary>Options in use (activation, threads).</summary>
    protected CausalConv1dOptions Opts;

    /// <summary>Inputs and outputs of one call.</summary>
    protected float[] X = [], W = [], Bias = [], Y = [], Dy = [], Dx = [], Dw = [], Db = [];

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public virtual IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["B"] = 1, ["D"] = 1536, ["L"] = 2048, ["K"] = 4, ["silu"] = 0 };

    /// <inheritdoc/>
    public abstract string? Validate();

    /// <inheritdoc/>
    public virtual void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        ReleaseBuffers();
        Gpu = null;
        int Get(string k) => shape.TryGetValue(k, out int v) ? v : DefaultShape[k];
        Shape = new CausalConv1dShape(Get("B"), Get("D"), Get("L"), Get("K"));
        Opts = new CausalConv1dOptions(Get("silu") != 0, threads);
        Threads = threads;
        int n = Shape.Rows * Shape.Length;
        X = Fill(n, 1);
        W = Fill(Shape.Channels * Shape.Width, 2);
        Bias = Fill(Shape.Channels, 3);
        Dy = Fill(n, 4);
        Y = new float[n];
        Dx = new float[n];
        Dw = new float[W.Length];
        Db = new float[Shape.Channels];
    }

    /// <summary>Thread count of the timed calls (0 = all cores).</summary>
    protected int Threads { get; private set; }

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        Setup(shape, threads);
        var gpu = FamilyDevices.Get(device);
        if (ValidateGpu(gpu) is { } mismatch)
            throw new InvalidOperationException($"[{Name}] the Gpu path on {device} differs: {mismatch}");
        Gpu = gpu;
        SetupGpu(gpu);
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (Gpu is null)
        {
            RunCpu();
            return;
        }
        RunGpu(Gpu);
        Gpu.Synchronize();
    }

    /// <summary>One call on the Cpu kernel.</summary>
    protected abstract void RunCpu();

    /// <summary>Enqueues one call on <paramref name="gpu"/> on the buffers made by <see cref="SetupGpu"/>.</summary>
    protected abstract void RunGpu(GpuDevice gpu);

    /// <summary>Copies the inputs of the timed calls to <paramref name="gpu"/> (see <see cref="Upload"/>).</summary>
    protected abstract void SetupGpu(GpuDevice gpu);

    /// <summary>Runs the Gpu path against the Reference on a small shape: null when they agree.</summary>
    protected abstract string? ValidateGpu(GpuDevice gpu);

    /// <summary>A device copy of <paramref name="data"/>, released at the next setup.</summary>
    protected ArrayView<float> Upload(GpuDevice gpu, float[] data)
    {
        var buffer = gpu.Upload(data);
        _buffers.Add(buffer);
        return buffer.View;
    }

    private void ReleaseBuffers()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }

    /// <inheritdoc/>
    public abstract double Flops { get; }

    /// <inheritdoc/>
    public abstract double Bytes { get; }

    /// <inheritdoc/>
    public double? BoundMs
    {
        get
        {
            bool two = Threads != 1 && Environment.ProcessorCount >= 2;
            double bw = two ? 33.2e9 : 20.4e9, peak = two ? 202.3e9 : 101.3e9;
            return Math.Max(Bytes / bw, Flops / peak) * 1e3;
        }
    }

    /// <inheritdoc/>
    public string Options => $"bias,K={Shape.Width}{(Opts.Silu ? ",silu" : "")}";

    /// <summary>Uniform values in [-1, 1) from a fixed seed.</summary>
    protected static float[] Fill(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>Null when max|a − b| ≤ 1e-5 + 1e-4·max|a|, else a message.</summary>
    protected static string? Compare(string what, float[] want, float[] got, string path = "Cpu")
    {
        double max = 0, err = 0;
        for (int i = 0; i < want.Length; i++)
        {
            max = Math.Max(max, Math.Abs(want[i]));
            err = Math.Max(err, Math.Abs(want[i] - got[i]));
        }
        return err <= 1e-5 + 1e-4 * max ? null : $"{what}: {path} differs from Reference by {err:E3} (max {max:E3})";
    }
}

/// <summary><c>conv</c>: forward y = act(conv(x) + bias); 2K flops per output, x read + y written.</summary>
public sealed class ConvKernelBench : ConvKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "conv";

    /// <inheritdoc/>
    public override string? Validate()
    {
        foreach (bool silu in new[] { false, true })
        {
            var s = new CausalConv1dShape(2, 5, 37, 4);
            float[] x = Fill(370, 1), w = Fill(20, 2), b = Fill(5, 3), y0 = new float[370], y1 = new float[370];
            CausalConv1d.Reference.Forward(s, x, w, b, [], y0, [], new(silu));
            CausalConv1d.Cpu.Forward(s, x, w, b, [], y1, [], new(silu));
            if (Compare("y", y0, y1) is { } m) return m;
        }
        return null;
    }

    private ArrayView<float> _x, _w, _b, _y;

    /// <inheritdoc/>
    protected override void RunCpu() => CausalConv1d.Cpu.Forward(Shape, X, W, Bias, [], Y, [], Opts);

    /// <inheritdoc/>
    protected override void SetupGpu(GpuDevice gpu)
    {
        (_x, _w, _b, _y) = (Upload(gpu, X), Upload(gpu, W), Upload(gpu, Bias), Upload(gpu, Y));
    }

    /// <inheritdoc/>
    protected override void RunGpu(GpuDevice gpu) =>
        CausalConv1d.Gpu.Forward(gpu, Shape, _x, _w, _b, default, _y, default, Opts);

    /// <inheritdoc/>
    protected override string? ValidateGpu(GpuDevice gpu)
    {
        var s = new CausalConv1dShape(2, 5, 37, 4);
        float[] x = Fill(370, 1), w = Fill(20, 2), b = Fill(5, 3), y0 = new float[370], y1 = new float[370];
        CausalConv1d.Reference.Forward(s, x, w, b, [], y0, [], new(true));
        CausalConv1d.Gpu.Forward(gpu, s, x, w, b, [], y1, [], new(true));
        return Compare("y", y0, y1, "Gpu");
    }

    /// <inheritdoc/>
    public override double Flops => 2.0 * Shape.Width * Shape.Rows * Shape.Length;

    /// <inheritdoc/>
    public override double Bytes => 8.0 * Shape.Rows * Shape.Length;
}

/// <summary><c>conv-bwd</c>: dx, dweight, dbias from dy (recomputes the pre-activation); 6K flops per element,
/// x and dy read, dx written.</summary>
public sealed class ConvBackwardKernelBench : ConvKernelBenchBase
{
    /// <inheritdoc/>
    public override string Name => "conv-bwd";

    /// <inheritdoc/>
    public override string? Validate()
    {
        var s = new CausalConv1dShape(2, 5, 37, 4);
        float[] x = Fill(370, 1), w = Fill(20, 2), b = Fill(5, 3), dy = Fill(370, 4);
        float[] dx0 = new float[370], dw0 = new float[20], db0 = new float[5];
        float[] dx1 = new float[370], dw1 = new float[20], db1 = new float[5];
        CausalConv1d.Reference.Backward(s, x, w, b, [], dy, [], dx0, dw0, db0, [], new(true));
        CausalConv1d.Cpu.Backward(s, x, w, b, [], dy, [], dx1, dw1, db1, [], new(true));
        return Compare("dx", dx0, dx1) ?? Compare("dweight", dw0, dw1) ?? Compare("dbias", db0, db1);
    }

    private ArrayView<float> _x, _w, _b, _dy, _dx, _dw, _db;

    /// <inheritdoc/>
    protected override void RunCpu() =>
        CausalConv1d.Cpu.Backward(Shape, X, W, Bias, [], Dy, [], Dx, Dw, Db, [], Opts);

    /// <inheritdoc/>
    protected override void SetupGpu(GpuDevice gpu)
    {
        (_x, _w, _b, _dy) = (Upload(gpu, X), Upload(gpu, W), Upload(gpu, Bias), Upload(gpu, Dy));
        (_dx, _dw, _db) = (Upload(gpu, Dx), Upload(gpu, Dw), Upload(gpu, Db));
    }

    /// <summary>Includes the per-call scratch (g and the per-row weight partials) that the view overload
    /// allocates and releases.</summary>
    protected override void RunGpu(GpuDevice gpu) =>
        CausalConv1d.Gpu.Backward(gpu, Shape, _x, _w, _b, default, _dy, default, _dx, _dw, _db, default, Opts);

    /// <inheritdoc/>
    protected override string? ValidateGpu(GpuDevice gpu)
    {
        var s = new CausalConv1dShape(2, 5, 37, 4);
        float[] x = Fill(370, 1), w = Fill(20, 2), b = Fill(5, 3), dy = Fill(370, 4);
        float[] dx0 = new float[370], dw0 = new float[20], db0 = new float[5];
        float[] dx1 = new float[370], dw1 = new float[20], db1 = new float[5];
        CausalConv1d.Reference.Backward(s, x, w, b, [], dy, [], dx0, dw0, db0, [], new(true));
        CausalConv1d.Gpu.Backward(gpu, s, x, w, b, [], dy, [], dx1, dw1, db1, [], new(true));
        return Compare("dx", dx0, dx1, "Gpu") ?? Compare("dweight", dw0, dw1, "Gpu")
            ?? Compare("dbias", db0, db1, "Gpu");
    }

    /// <inheritdoc/>
    public override double Flops => 6.0 * Shape.Width * Shape.Rows * Shape.Length;

    /// <inheritdoc/>
    public override double Bytes => 12.0 * Shape.Rows * Shape.Length;
}

/// <summary><c>conv-update</c>: one decode token with Mamba's rolling state (S = K): per channel 2K flops; state read
/// and written, x, weight, bias read, y written.</summary>
public sealed class ConvUpdateKernelBench : ConvKernelBenchBase
{
    private float[] _state = [], _x = [], _y = [];
    private CausalConv1dUpdateShape _shape;

    /// <inheritdoc/>
    public override string Name => "conv-update";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["B"] = 1, ["D"] = 1536, ["L"] = 1, ["K"] = 4, ["silu"] = 1 };

    /// <inheritdoc/>
    public override void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        base.Setup(shape, threads);
        _shape = new CausalConv1dUpdateShape(Shape.Batch, Shape.Channels, Shape.Length, Shape.Width, Shape.Width);
        _state = Fill(Shape.Rows * Shape.Width, 5);
        _x = Fill(Shape.Rows * Shape.Length, 6);
        _y = new float[_x.Length];
    }

    /// <inheritdoc/>
    public override string? Validate()
    {
        var s = new CausalConv1dUpdateShape(2, 5, 1, 4, 4);
        float[] x = Fill(10, 1), st = Fill(40, 2), w = Fill(20, 3), b = Fill(5, 4);
        float[] y0 = new float[10], y1 = new float[10], n0 = new float[40], n1 = new float[40];
        CausalConv1d.Reference.Step(s, x, st, w, b, [], y0, n0, new(true));
        CausalConv1d.Cpu.Step(s, x, st, w, b, [], y1, n1, new(true));
        return Compare("y", y0, y1) ?? Compare("conv_state", n0, n1);
    }

    private ArrayView<float> _dx, _dstate, _dnext, _dw, _db, _dy;

    /// <inheritdoc/>
    protected override void RunCpu() => CausalConv1d.Cpu.Step(_shape, _x, _state, W, Bias, [], _y, _state, Opts);

    /// <inheritdoc/>
    protected override void SetupGpu(GpuDevice gpu)
    {
        (_dx, _dstate, _dnext) = (Upload(gpu, _x), Upload(gpu, _state), Upload(gpu, _state));
        (_dw, _db, _dy) = (Upload(gpu, W), Upload(gpu, Bias), Upload(gpu, _y));
    }

    /// <summary>The device update cannot work in place, so two state buffers alternate.</summary>
    protected override void RunGpu(GpuDevice gpu)
    {
        CausalConv1d.Gpu.Step(gpu, _shape, _dx, _dstate, _dw, _db, default, _dy, _dnext, Opts);
        (_dstate, _dnext) = (_dnext, _dstate);
    }

    /// <inheritdoc/>
    protected override string? ValidateGpu(GpuDevice gpu)
    {
        var s = new CausalConv1dUpdateShape(2, 5, 1, 4, 4);
        float[] x = Fill(10, 1), st = Fill(40, 2), w = Fill(20, 3), b = Fill(5, 4);
        float[] y0 = new float[10], y1 = new float[10], n0 = new float[40], n1 = new float[40];
        CausalConv1d.Reference.Step(s, x, st, w, b, [], y0, n0, new(true));
        CausalConv1d.Gpu.Step(gpu, s, x, st, w, b, [], y1, n1, new(true));
        return Compare("y", y0, y1, "Gpu") ?? Compare("conv_state", n0, n1, "Gpu");
    }

    /// <inheritdoc/>
    public override double Flops => 2.0 * Shape.Width * Shape.Rows * Shape.Length;

    /// <inheritdoc/>
    public override double Bytes =>
        4.0 * (Shape.Rows * (2.0 * Shape.Width + 2 * Shape.Length) + Shape.Channels * (Shape.Width + 1.0));
}
