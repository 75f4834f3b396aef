using System.CommandLine;
using Ssm.Engine.Cli.Commands;

namespace Ssm.Engine.Cli;

/// <summary>The <c>ssm</c> command. Results go to stdout; progress and logs to stderr. Exit codes: 0 success,
/// 1 a check failed, 2 usage or I/O error, 3 device not available.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, CliServices.Discover());

    /// <summary>Runs the command line with explicit output writers and services (what tests call).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliServices services)
    {
        var ctx = new CliContext(stdout, stderr, services);
        var root = new RootCommand("Ssm.Engine: state-space models (Mamba) in .NET");
        root.Subcommands.Add(InfoCommand.Create(ctx));
        root.Subcommands.Add(ConformanceCommand.Create(ctx));
        root.Subcommands.Add(BenchCommand.Create(ctx));
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create(ctx));
        root.Subcommands.Add(EvalCommand.Create(ctx));
        root.Subcommands.Add(TrainCommand.Create(ctx));
        root.Subcommands.Add(EvalTaskCommand.Create(ctx));
        root.Subcommands.Add(EvalVisionCommand.Create(ctx));
        root.Subcommands.Add(DemoCommand.Create(ctx));
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"ssm: {e.Message}");
            stderr.WriteLine("ssm: see 'ssm --help'");
            return 2;
        }
        return parse.Invoke(config);
    }
}

/// <summary>Writers and services shared by the commands of one invocation.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Err, CliServices Services);
