using System.Diagnostics;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Bench.Kernels.MatMul;

/// <summary>A quick comparative run for a shared, loaded machine: ours and OpenBLAS interleaved round by round,
/// median over rounds, reported both per wall-clock second and per CPU second of the process (divided by the thread
/// count). The CPU-time figure is what each thread achieves while it is actually scheduled, so it is far less
/// sensitive to other processes than wall time. Run:
/// <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- quick-gemm [threads] [rounds]</c>.</summary>
public static unsafe partial class GemmQuick
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>CLOCK_PROCESS_CPUTIME_ID: CPU seconds used by all threads of this process.</summary>
    private static double ProcessCpuSeconds()
    {
        TimeSpec t;
        ClockGetTime(2, &t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>Entry point for <c>quick-gemm</c>.</summary>
    public static void Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0]) : 2;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 7;
        GemmBenchCheck.AgainstReference();
        bool blas = OpenBlas.IsAvailable;
        if (blas) OpenBlas.SetNumThreads(threads);
        else Console.Error.WriteLine("libopenblas.so.0 not found: OpenBLAS columns are skipped.");
        Console.WriteLine($"threads {threads}, rounds {rounds}, AVX2 kernel {Gemm.Cpu.UsesAvx2}, AVX-512 kernel {Gemm.Cpu.UsesAvx512}");
        Console.WriteLine("| case | ours wall | OpenBLAS wall | ours CPU-time | OpenBLAS CPU-time | " +
            "ours/OpenBLAS (CPU) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (int size in new[] { 256, 1024, 2048 })
        {
            var rng = new Random(42);
            float[] a = GemmBenchCheck.Random(rng, size * size), b = GemmBenchCheck.Random(rng, size * size);
            float[] c = new float[size * size];
            Gemm.Cpu.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size, threads);
            GemmBenchCheck.Sampled(a, b, c, size);
            double flops = 2.0 * size * size * size;
            int reps = Math.Max(1, (int)(1e9 / flops));
            var ours = Measure(rounds, reps, threads,
                () => Gemm.Cpu.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size, threads),
                blas ? () => BlasSgemm(a, b, c, size) : null);
            Print($"SGEMM {size}³", flops, "GFLOP/s", ours);
        }
        const int n = 3072, k = 768;
        var r = new Random(3);
        float[] w = GemmBenchCheck.Random(r, n * k), x = GemmBenchCheck.Random(r, k), y = new float[n];
        ushort[] wb = w.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray();
        var fp32 = Measure(rounds, 200, threads, () => Gemm.Cpu.Sgemm(false, true, 1, n, k, 1f, x, k, w, k, 0f, y, n,
            threads), blas ? () => BlasSgemv(w, x, y, n, k) : null);
        Print("GEMV fp32 1×768·768×3072", 4.0 * n * k, "GB/s", fp32);
        var bf16 = Measure(rounds, 200, threads, () => Gemm.Cpu.GemvBf16(wb, x, y, n, k, threads), null);
        Print("GEMV bf16 1×768·768×3072", 2.0 * n * k, "GB/s", bf16);
    }

    private static void BlasSgemm(float[] a, float[] b, float[] c, int size)
    {
        fixed (float* pa = a, pb = b, pc = c)
            OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, OpenBlas.NoTrans, size, size, size, 1f,
                pa, size, pb, size, 0f, pc, size);
    }

    private static void BlasSgemv(float[] w, float[] x, float[] y, int n, int k)
    {
        fixed (float* pw = w, px = x, py = y)
            OpenBlas.Sgemv(OpenBlas.RowMajor, OpenBlas.NoTrans, n, k, 1f, pw, k, px, 1, 0f, py, 1);
    }

    /// <summary>Median seconds per call (wall, CPU/threads) of ours and of the peer, one warm-up round first.</summary>
    private static (double Wall, double Cpu, double PeerWall, double PeerCpu) Measure(int rounds, int reps,
        int threads, Action ours, Action? peer)
    {
        var w = new List<double>(); var cpu = new List<double>();
        var pw = new List<double>(); var pcpu = new List<double>();
        for (int round = -1; round < rounds; round++)
        {
            var (ow, oc) = Time(ours, reps, threads);
            var (bw, bc) = peer is null ? (double.NaN, double.NaN) : Time(peer, reps, threads);
            if (round < 0) continue;
            w.Add(ow); cpu.Add(oc); pw.Add(bw); pcpu.Add(bc);
        }
        return (Median(w), Median(cpu), Median(pw), Median(pcpu));
    }

    private static (double Wall, double Cpu) Time(Action f, int reps, int threads)
    {
        double c0 = ProcessCpuSeconds();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) f();
        double wall = sw.Elapsed.TotalSeconds / reps;
        return (wall, (ProcessCpuSeconds() - c0) / reps / threads);
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }

    private static void Print(string name, double work, string unit,
        (double Wall, double Cpu, double PeerWall, double PeerCpu) t)
    {
        static string F(double x) => double.IsNaN(x) ? "-" : x.ToString("F1");
        double g = 1e9;
        Console.WriteLine($"| {name} ({unit}) | {F(work / t.Wall / g)} | {F(work / t.PeerWall / g)} | " +
            $"{F(work / t.Cpu / g)} | {F(work / t.PeerCpu / g)} | {F(100 * t.PeerCpu / t.Cpu)}% |");
    }
}
