using System.CommandLine;
using Ssm.Engine.Cli.Commands;

namespace Ssm.Engine.Cli;

/// <summary>The <c>ssm</c> command. Results go to stdout; progress and logs to stderr.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Ssm.Engine: state-space models (Mamba) in .NET");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        return root.Parse(args).Invoke();
    }
}
