using static Ssm.Engine.Cli.Tests.Commands.CliHarness;
using Ssm.Engine.Conformance.Tests.Runner;

namespace Ssm.Engine.Cli.Tests.Commands;

public class InfoCommandTests
{
    [Fact]
    public void Info_ListsKernelsAndFamilies()
    {
        var (exit, stdout, _) = Run(Services([new FakeFamily("ssd"), new FakeFamily("causal_conv1d")],
            [new FakeBench("scan"), new FakeBench("gemm")]), "info");
        Assert.Equal(0, exit);
        string[] lines = Lines(stdout);
        Assert.Contains("kernels        gemm, scan", lines);
        Assert.Contains("families       causal_conv1d, ssd", lines);
        Assert.Contains("models         not implemented", lines);
    }

    [Fact]
    public void Info_WithNothingRegistered_SaysNone()
    {
        var (_, stdout, _) = Run(Services(), "info");
        Assert.Contains("kernels        (none)", Lines(stdout));
        Assert.Contains("families       (none)", Lines(stdout));
    }
}

/// <summary>Program.Main writes through the real console; these tests swap it, so they run alone.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;

[Collection("Console")]
public class ProgramMainTests
{
    [Fact]
    public void Main_WritesToConsole_AndReturnsExitCodes()
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        try
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Assert.Equal(0, Program.Main(["info"]));
            Assert.Equal(2, Program.Main(["conformance", "/no/such/dir"]));
            Assert.Equal(2, Program.Main(["bench", "no-such-kernel"]));
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
        Assert.Contains("Ssm.Engine ", stdout.ToString());
        Assert.Contains("conformance: error: no such directory: /no/such/dir", stderr.ToString());
        Assert.Contains("unknown kernel 'no-such-kernel'", stderr.ToString());
    }
}
