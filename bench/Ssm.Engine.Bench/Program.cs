using BenchmarkDotNet.Running;

namespace Ssm.Engine.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/Ssm.Engine.Bench -- --filter '*Gemm*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
