using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Cli.Bench;

/// <summary><c>ssm bench gemm</c>: C (M, N) = A (M, K) · B (K, N), no transposes, default M = N = K = 1024.
/// Bound: flops at the measured FMA peak, 202 GFLOP/s on 2 threads (101 per thread). With <c>--device</c> it runs
/// Gemm.Gpu on device-resident A, B, C and synchronises the stream inside <see cref="Run"/>.</summary>
public sealed class GemmKernelBench : IDeviceKernelBench
{
    private GpuDevice? _gpu;
    private MemoryBuffer1D<float, Stride1D.Dense>? _da, _db, _dc;

    /// <summary>Measured fp32 FMA peak of the 2-core machine with 2 threads (docs/performance.md).</summary>
    public const double PeakGflops2T = 202;

    private float[] _a = [], _b = [], _c = [];
    private int _m, _n, _k, _threads;

    public string Name => "gemm";

    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["M"] = 1024, ["N"] = 1024, ["K"] = 1024 };

    public string? Validate() => MatMulBenchValidation.Gemm(37, 53, 300);

    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        ReleaseDevice();
        _m = shape["M"]; _n = shape["N"]; _k = shape["K"];
        _threads = threads <= 0 ? Environment.ProcessorCount : threads;
        var rng = new Random(42);
        _a = MatMulBenchValidation.Random(rng, _m * _k);
        _b = MatMulBenchValidation.Random(rng, _k * _n);
        _c = new float[_m * _n];
    }

    public bool Supports(DeviceSpec device) => FamilyDevices.IsGpuAvailable(device);

    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        Setup(shape, threads);
        var gpu = FamilyDevices.Get(device);
        if (MatMulBenchValidation.Gemm(37, 53, 45, gpu: gpu) is { } mismatch)
            throw new InvalidOperationException($"[gemm] the Gpu path on {device} differs: {mismatch}");
        (_da, _db, _dc) = (gpu.Upload(_a), gpu.Upload(_b), gpu.Upload(_c));
        _gpu = gpu;
    }

    public void Run()
    {
        if (_gpu is null)
        {
            Gemm.Cpu.Sgemm(false, false, _m, _n, _k, 1f, _a, _k, _b, _n, 0f, _c, _n, _threads);
            return;
        }
        Gemm.Gpu.Sgemm(_gpu, false, false, _m, _n, _k, 1f, _da!.View, _k, _db!.View, _n, 0f, _dc!.View, _n);
        _gpu.Synchronize();
    }

    private void ReleaseDevice()
    {
        _da?.Dispose();
        _db?.Dispose();
        _dc?.Dispose();
        (_da, _db, _dc, _gpu) = (null, null, null, null);
    }

    public double Flops => 2.0 * _m * _n * _k;

    public double Bytes => 4.0 * ((double)_m * _k + (double)_k * _n + (double)_m * _n);

    public double? BoundMs => Flops / (PeakGflops2T * 1e9 * _threads / 2) * 1e3;

    public string Options => "nn";
}

/// <summary><c>ssm bench gemv</c>: decode's y (1, N) = x (1, K) · Wᵀ with W stored (N, K),
/// default 1×768·768×3072. Bound: weight bytes at the measured 2-thread read bandwidth, 28 GB/s.</summary>
public sealed class GemvKernelBench : IKernelBench
{
    /// <summary>Measured read-only bandwidth of the machine with 2 threads (docs/performance.md).</summary>
    public const double ReadGBps = 28;

    private float[] _w = [], _x = [], _y = [];
    private int _m, _n, _k, _threads;

    public string Name => "gemv";

    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["M"] = 1, ["N"] = 3072, ["K"] = 768 };

    public string? Validate() => MatMulBenchValidation.Gemm(1, 301, 259, transB: true)
        ?? MatMulBenchValidation.Gemm(3, 130, 97, transB: true);

    public void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        _m = shape["M"]; _n = shape["N"]; _k = shape["K"];
        _threads = threads <= 0 ? Environment.ProcessorCount : threads;
        var rng = new Random(43);
        _w = MatMulBenchValidation.Random(rng, _n * _k);
        _x = MatMulBenchValidation.Random(rng, _m * _k);
        _y = new float[_m * _n];
    }

    public void Run() => Gemm.Cpu.Sgemm(false, true, _m, _n, _k, 1f, _x, _k, _w, _k, 0f, _y, _n, _threads);

    public double Flops => 2.0 * _m * _n * _k;

    /// <summary>The weight stream dominates: N·K fp32 values (x and y are small and stay in cache).</summary>
    public double Bytes => 4.0 * _n * _k;

    public double? BoundMs => Bytes / (ReadGBps * 1e9) * 1e3;

    public string Options => "transB";
}

/// <summary>Small-shape check of the fast GEMM path against the Reference, shared by the two benches.</summary>
internal static class MatMulBenchValidation
{
    public static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>Null when Cpu (or, given a device, Gpu) and Reference agree within 2(K+4)·u·Σ|a·b| on every
    /// entry.</summary>
    public static string? Gemm(int m, int n, int k, bool transB = false, GpuDevice? gpu = null)
    {
        var rng = new Random(m * 31 + n);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        int ldb = transB ? k : n;
        var got = new float[m * n];
        var expected = new float[m * n];
        var bound = new float[m * n];
        if (gpu is null) Kernels.MatMul.Gemm.Cpu.Sgemm(false, transB, m, n, k, 1f, a, k, b, ldb, 0f, got, n);
        else Kernels.MatMul.Gemm.Gpu.Sgemm(gpu, false, transB, m, n, k, 1f, a, k, b, ldb, 0f, got, n);
        Kernels.MatMul.Gemm.Reference.Sgemm(false, transB, m, n, k, 1f, a, k, b, ldb, 0f, expected, n);
        Kernels.MatMul.Gemm.Reference.Sgemm(false, transB, m, n, k, 1f, a.Select(Math.Abs).ToArray(), k,
            b.Select(Math.Abs).ToArray(), ldb, 0f, bound, n);
        for (int i = 0; i < got.Length; i++)
        {
            float tol = 2 * (k + 4) * 1.2e-7f * bound[i];
            if (!(Math.Abs(got[i] - expected[i]) <= tol))
                return $"[gemm] M={m} N={n} K={k} transB={transB}: C[{i / n},{i % n}] = {got[i]}, " +
                    $"reference {expected[i]} (tolerance {tol})";
        }
        return null;
    }
}
