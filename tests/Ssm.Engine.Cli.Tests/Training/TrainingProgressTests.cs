using Ssm.Engine.Cli.Training;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Training;

public class TrainingProgressTests
{
    [Fact]
    public void Plain_PrintsFirstEveryNthAndLastStep()
    {
        var w = new StringWriter();
        TrainingProgress.Run(25, 0, p =>
        {
            for (int s = 1; s <= 25; s++) p.Report(s, 1.0 / s, 500);
            p.Log("saved checkpoint");
        }, interactive: false, plain: w, plainEvery: 10);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("step 1/25  loss 1.0000  500 tok/s  eta ", lines[0]);
        Assert.StartsWith("step 10/25  loss 0.1000", lines[1]);
        Assert.StartsWith("step 20/25", lines[2]);
        Assert.StartsWith("step 25/25", lines[3]);
        Assert.EndsWith("eta 0:00:00", lines[3]);
        Assert.Equal("saved checkpoint", lines[4]);
    }

    [Fact]
    public void Bar_RunsTheBody_AndEscapesMarkupInLogLines()
    {
        int reported = 0;
        TrainingProgress.Run(3, 1, p =>
        {
            for (int s = 2; s <= 3; s++, reported++) p.Report(s, 0.5, 100);
            p.Log("[not markup]");
        }, interactive: true);
        Assert.Equal(2, reported);
    }

    [Fact]
    public void Line_FormatsEta()
    {
        Assert.Equal("step 3/9  loss 0.5000  12,346 tok/s  eta 1:02:03",
            TrainingProgress.Line(3, 9, 0.5, 12345.6, new TimeSpan(1, 2, 3)));
        Assert.Equal("?", TrainingProgress.FormatEta(null));
    }

    [Fact]
    public void Run_RejectsAStartBeyondTheEnd()
    {
        Assert.Throws<ArgumentException>(() => TrainingProgress.Run(5, 6, _ => { }, interactive: false));
    }
}
