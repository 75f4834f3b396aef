using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Runner;

namespace Ssm.Engine.Cli.Tests.Commands;

internal static class CliHarness
{
    public static CliServices Services(IEnumerable<IOpFamily>? families = null,
        IEnumerable<IKernelBench>? benches = null) =>
        new(new ConformanceRegistry(families ?? []), new BenchRegistry(benches ?? []))
        {
            WarmUp = TimeSpan.Zero,
            RoundTarget = TimeSpan.FromMilliseconds(1),
        };

    public static (int Exit, string Out, string Err) Run(CliServices services, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.Run(args, stdout, stderr, services);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
