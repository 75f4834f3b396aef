using Ssm.Engine.Cli.Commands;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public class TokenizeCommandTests
{
    private static readonly string Neox =
        Path.Combine(GoldenPaths.Root, "tokenizers", "gpt-neox-20b", "tokenizer.json");

    [Fact]
    public void Run_PrintsIdsThenOneReadableTokenPerLine()
    {
        var stdout = new StringWriter();
        int rc = TokenizeCommand.Run(Neox, "a  b\n<|endoftext|>\U0001F642", stdout, new StringWriter());
        Assert.Equal(0, rc);
        string[] lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("66,50276,67,187,0,14931,18713", lines[0].TrimEnd('\r'));
        Assert.Equal(
            // The emoji is split over two tokens that are not valid UTF-8 alone: shown as raw vocabulary strings.
            new[]
            {
                "66\ta", "50276\t  ", "67\tb", "187\t\\n", "0\t<|endoftext|>", "14931\t\u00F0\u0141",
                "18713\t\u013B\u0124",
            },
            lines.Skip(1).Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void Run_FailsWithTheFileName_WhenTheTokenizerIsMissing()
    {
        var stderr = new StringWriter();
        int rc = TokenizeCommand.Run("/nonexistent/tokenizer.json", "x", new StringWriter(), stderr);
        Assert.Equal(1, rc);
        Assert.Contains("/nonexistent/tokenizer.json", stderr.ToString());
    }
}
