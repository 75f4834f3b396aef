using System.CommandLine;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm info</c>: version, SIMD capabilities, threads and the kernels available.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("info",
            "Print version, SIMD capabilities, thread count, kernels and conformance families");
        cmd.SetAction(_ =>
        {
            var o = ctx.Out;
            var version = typeof(InfoCommand).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            o.WriteLine($"Ssm.Engine {version}");
            o.WriteLine(
                $"runtime        {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}");
            o.WriteLine($"threads        {Environment.ProcessorCount}");
            o.WriteLine(
                $"Vector<float>  {Vector<float>.Count} lanes (hardware accelerated: {Vector.IsHardwareAccelerated})");
            o.WriteLine($"Vector128      {Vector128.IsHardwareAccelerated}");
            o.WriteLine($"Vector256      {Vector256.IsHardwareAccelerated}");
            o.WriteLine($"Vector512      {Vector512.IsHardwareAccelerated}");
            o.WriteLine($"AVX2 / FMA     {Avx2.IsSupported} / {Fma.IsSupported}");
            o.WriteLine($"AVX-512F       {Avx512F.IsSupported}");
            o.WriteLine($"AdvSIMD        {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}");
            var benches = ctx.Services.Benches.Names;
            o.WriteLine($"kernels        {(benches.Count == 0 ? "(none)" : string.Join(", ", benches))}");
            var conf = ctx.Services.Conformance;
            var families = conf.Families.Keys.Order(StringComparer.Ordinal).ToList();
            o.WriteLine($"families       {(families.Count == 0 ? "(none)" : string.Join(", ", families))}");
            o.WriteLine($"models         {(conf.Models is null ? "not implemented" : conf.Models.GetType().Name)}");
            o.WriteLine(
                $"tokenizer      {(conf.Tokenizer is null ? "not implemented" : conf.Tokenizer.GetType().Name)}");
            return 0;
        });
        return cmd;
    }
}
