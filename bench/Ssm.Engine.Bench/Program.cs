using BenchmarkDotNet.Running;

namespace Ssm.Engine.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- --filter '*Gemm*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        // A quick interleaved Stopwatch run for loaded machines; everything else goes to BenchmarkDotNet.
        if (args.Length > 0 && args[0] == "quick-gemm")
        {
            Kernels.MatMul.GemmQuick.Run(args[1..]);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
