using BenchmarkDotNet.Attributes;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Bench.Kernels.MatMul;

/// <summary>SGEMM C (M, N) = A (M, K) · B (K, N) at M = N = K = Size: ours against OpenBLAS cblas_sgemm with the same
/// thread count (env SSM_BENCH_THREADS, default 2, e.g. "1,2"). Run:
/// <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- --filter '*GemmBench*' --job short</c>.</summary>
[Config(typeof(MatMulBenchConfig))]
[CategoriesColumn]
public unsafe class GemmBench : IWork
{
    private float[] _a = [], _b = [], _c = [];

    [Params(256, 1024, 2048)]
    public int Size { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    /// <summary>Thread counts from SSM_BENCH_THREADS (comma-separated), default 2.</summary>
    public static IEnumerable<int> ThreadCounts()
        => (Environment.GetEnvironmentVariable("SSM_BENCH_THREADS") ?? "2").Split(',').Select(int.Parse);

    public (double Amount, string Unit) Work(string method) => (2.0 * Size * Size * Size, "GFLOP/s");

    [GlobalSetup]
    public void Setup()
    {
        GemmBenchCheck.AgainstReference();
        var rng = new Random(42);
        _a = GemmBenchCheck.Random(rng, Size * Size);
        _b = GemmBenchCheck.Random(rng, Size * Size);
        _c = new float[Size * Size];
        Gemm.Cpu.Sgemm(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size, Threads);
        GemmBenchCheck.Sampled(_a, _b, _c, Size);
        if (OpenBlas.IsAvailable) OpenBlas.SetNumThreads(Threads);
    }

    [Benchmark(Baseline = true)]
    public void Ssm() => Gemm.Cpu.Sgemm(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size, Threads);

    [Benchmark]
    [BenchmarkCategory(MatMulBenchConfig.OpenBlasCategory)]
    public void OpenBLAS()
    {
        fixed (float* a = _a, b = _b, c = _c)
            OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, OpenBlas.NoTrans, Size, Size, Size, 1f,
                a, Size, b, Size, 0f, c, Size);
    }
}

/// <summary>Validation run before any timing: the fast path must agree with the Reference.</summary>
internal static class GemmBenchCheck
{
    public static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>All four transposes on a small shape that crosses the MC/KC blocks, against the Reference.</summary>
    public static void AgainstReference()
    {
        const int m = 181, n = 67, k = 263;
        var rng = new Random(7);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            float[] c = Random(rng, m * n), r = (float[])c.Clone();
            int lda = ta ? m : k, ldb = tb ? k : n;
            Gemm.Cpu.Sgemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, n);
            Gemm.Reference.Sgemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, r, n);
            for (int i = 0; i < c.Length; i++)
                if (Math.Abs(c[i] - r[i]) > 1e-4f * (1 + Math.Abs(r[i])))
                    throw new InvalidOperationException($"[gemm] bench validation failed at {i} (transA={ta}, " +
                        $"transB={tb}): {c[i]} vs reference {r[i]}");
        }
    }

    /// <summary>64 sampled entries of C = A·B (size³) recomputed in float64.</summary>
    public static void Sampled(float[] a, float[] b, float[] c, int size)
    {
        var rng = new Random(1);
        for (int s = 0; s < 64; s++)
        {
            int i = rng.Next(size), j = rng.Next(size);
            double dot = 0, mag = 0;
            for (int p = 0; p < size; p++)
            {
                dot += (double)a[i * size + p] * b[p * size + j];
                mag += Math.Abs((double)a[i * size + p] * b[p * size + j]);
            }
            if (Math.Abs(c[i * size + j] - dot) > 2 * size * 1.2e-7 * mag)
                throw new InvalidOperationException($"[gemm] bench validation failed at ({i},{j}): " +
                    $"{c[i * size + j]} vs {dot}");
        }
    }
}
