using System.CommandLine;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm info</c>: version, SIMD capabilities, threads and the kernels available.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Print version, SIMD capabilities, thread count and available kernels");
        cmd.SetAction(_ =>
        {
            var version = typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Console.WriteLine($"Ssm.Engine {version}");
            Console.WriteLine($"runtime        {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
            Console.WriteLine($"threads        {Environment.ProcessorCount}");
            Console.WriteLine($"Vector<float>  {System.Numerics.Vector<float>.Count} lanes (hardware accelerated: {System.Numerics.Vector.IsHardwareAccelerated})");
            Console.WriteLine($"Vector128      {Vector128.IsHardwareAccelerated}");
            Console.WriteLine($"Vector256      {Vector256.IsHardwareAccelerated}");
            Console.WriteLine($"Vector512      {Vector512.IsHardwareAccelerated}");
            Console.WriteLine($"AVX2 / FMA     {Avx2.IsSupported} / {Fma.IsSupported}");
            Console.WriteLine($"AVX-512F       {Avx512F.IsSupported}");
            Console.WriteLine($"AdvSIMD        {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}");
            return 0;
        });
        return cmd;
    }
}
