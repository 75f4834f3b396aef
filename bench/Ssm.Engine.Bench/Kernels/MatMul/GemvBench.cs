using BenchmarkDotNet.Attributes;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Bench.Kernels.MatMul;

/// <summary>Decode GEMV y (1, N) = x (1, K) · Wᵀ with the Linear weight W stored (N, K) = (3072, 768): ours in fp32
/// (Sgemm with M = 1, transB) and with bf16 weights, against OpenBLAS cblas_sgemv. Throughput is weight bytes / time.
/// Note that the 9.4 MB fp32 weight fits in this machine's L3, so a hot loop can exceed DRAM bandwidth.</summary>
[Config(typeof(MatMulBenchConfig))]
[CategoriesColumn]
public unsafe class GemvBench : IWork
{
    private float[] _w = [], _x = [], _y = [];
    private ushort[] _wBf16 = [];

    [Params(3072)]
    public int N { get; set; }

    [Params(768)]
    public int K { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<int> ThreadCounts() => GemmBench.ThreadCounts();

    public (double Amount, string Unit) Work(string method)
        => ((double)N * K * (method == nameof(SsmBf16) ? 2 : 4), "GB/s");

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _w = GemmBenchCheck.Random(rng, N * K);
        _x = GemmBenchCheck.Random(rng, K);
        _y = new float[N];
        _wBf16 = _w.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray();
        var expected = new float[N];
        Gemm.Reference.Sgemm(false, true, 1, N, K, 1f, _x, K, _w, K, 0f, expected, N);
        Ssm();
        Check(_y, expected, "fp32");
        float[] wide = _wBf16.Select(Gemm.Cpu.Bf16ToSingle).ToArray();
        Gemm.Reference.Sgemm(false, true, 1, N, K, 1f, _x, K, wide, K, 0f, expected, N);
        SsmBf16();
        Check(_y, expected, "bf16");
        if (OpenBlas.IsAvailable) OpenBlas.SetNumThreads(Threads);
    }

    private static void Check(float[] got, float[] expected, string what)
    {
        for (int j = 0; j < got.Length; j++)
            if (Math.Abs(got[j] - expected[j]) > 1e-3f * (1 + Math.Abs(expected[j])))
                throw new InvalidOperationException($"[gemv] {what} bench validation failed at {j}: " +
                    $"{got[j]} vs reference {expected[j]}");
    }

    [Benchmark(Baseline = true)]
    public void Ssm() => Gemm.Cpu.Sgemm(false, true, 1, N, K, 1f, _x, K, _w, K, 0f, _y, N, Threads);

    [Benchmark]
    public void SsmBf16() => Gemm.Cpu.GemvBf16(_wBf16, _x, _y, N, K, Threads);

    [Benchmark]
    [BenchmarkCategory(MatMulBenchConfig.OpenBlasCategory)]
    public void OpenBLAS()
    {
        fixed (float* w = _w, x = _x, y = _y)
            OpenBlas.Sgemv(OpenBlas.RowMajor, OpenBlas.NoTrans, N, K, 1f, w, K, x, 1, 0f, y, 1);
    }
}
