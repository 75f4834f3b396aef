using System.CommandLine;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm devices [--check]</c>: which devices can run here, why the others cannot, and (with --check)
/// a small GEMM on each available ILGPU device compared with the reference loops.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var check = new Option<bool>("--check") { Description = "Run a small GEMM on each available ILGPU device" };
        var cmd = new Command("devices", "List compute devices, why unavailable ones cannot be used, and test them");
        cmd.Options.Add(check);
        cmd.SetAction(result => Run(Console.Out, result.GetValue(check)));
        return cmd;
    }

    /// <summary>Writes one line per device; returns 1 when a --check fails, else 0.</summary>
    internal static int Run(TextWriter output, bool check)
    {
        int status = 0;
        DeviceSpec[] specs =
        [
            DeviceSpec.Cpu, DeviceSpec.Parse("ilgpu-cpu"), DeviceSpec.Parse("ilgpu-cpu-warp32"),
            DeviceSpec.Parse("cuda:0"), DeviceSpec.Parse("opencl:0"),
        ];
        foreach (DeviceSpec spec in specs)
        {
            if (!spec.IsAvailable(out string reason))
            {
                output.WriteLine($"{spec,-18} unavailable: {reason}");
                continue;
            }
            if (!spec.IsGpu())
            {
                output.WriteLine($"{spec,-18} available (SIMD, {Environment.ProcessorCount} threads)");
                continue;
            }
            try
            {
                using GpuDevice device = spec.CreateGpuDevice();
                string line = $"{spec,-18} available: {device}";
                if (check)
                {
                    double err = CheckGemm(device);
                    bool ok = err <= 1e-4;
                    line += ok ? $"; gemm check ok (max|diff| {err:g3})" : $"; gemm check FAILED (max|diff| {err:g3})";
                    if (!ok) status = 1;
                }
                output.WriteLine(line);
            }
            catch (Exception e)
            {
                output.WriteLine($"{spec,-18} failed to open: {e.GetType().Name}: {e.Message}");
                if (check) status = 1;
            }
        }
        return status;
    }

    // C (33, 31) = A (33, 29) · B (29, 31) against the float64 reference: sizes straddle every tile edge.
    private static double CheckGemm(GpuDevice device)
    {
        const int m = 33, n = 31, k = 29;
        var rng = new Random(1234);
        float[] a = Enumerable.Range(0, m * k).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        var want = new float[m * n];
        var got = new float[m * n];
        Gemm.Reference.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, want, n);
        Gemm.Gpu.Sgemm(device, false, false, m, n, k, 1f, a, k, b, n, 0f, got, n);
        double err = 0;
        for (int i = 0; i < want.Length; i++) err = Math.Max(err, Math.Abs((double)got[i] - want[i]));
        return err;
    }
}
