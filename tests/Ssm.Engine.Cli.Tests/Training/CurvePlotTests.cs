using Ssm.Engine.Cli.Training;
using Ssm.Engine.Training;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Training;

public sealed class CurvePlotTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ssm-plot-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static List<TrainingMetrics> Curve(int n) =>
        Enumerable.Range(1, n).Select(s => new TrainingMetrics(s, 3.0 / Math.Sqrt(s), 1e-3 * Math.Min(1, s / 10.0),
            1000)).ToList();

    [Fact]
    public void Save_Svg_WritesAnSvgDocument()
    {
        string path = CurvePlot.Save(Curve(50), Path.Combine(_dir, "curve.svg"), title: "selective copying");
        string text = File.ReadAllText(path);
        Assert.Contains("<svg", text);
        Assert.Contains("selective copying", text);
    }

    [Fact]
    public void Build_WithValidationLoss_AddsTheValidationSeries()
    {
        var rows = Curve(20).Select(r => r.Step % 5 == 0
            ? r with { Extra = new Dictionary<string, double> { [CurvePlot.ValidationLoss] = r.Loss + 0.1 } }
            : r).ToList();
        var with = CurvePlot.Build(rows).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        var without = CurvePlot.Build(Curve(20)).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        Assert.Equal(without.Count + 1, with.Count);
        var val = with.Single(p => p.LegendText == "validation loss");
        Assert.Equal(4, val.Data.GetScatterPoints().Count);
    }

    [Fact]
    public void Save_Png_WritesAPngOrFallsBackToSvg()
    {
        string path = CurvePlot.Save(Curve(50), Path.Combine(_dir, "curve.png"));
        byte[] head = File.ReadAllBytes(path).Take(8).ToArray();
        if (path.EndsWith(".png", StringComparison.Ordinal))
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
        else
            Assert.Contains("<svg", File.ReadAllText(path));
    }

    [Fact]
    public void Save_RejectsUnknownExtensions()
    {
        Assert.Throws<ArgumentException>(() => CurvePlot.Save(Curve(3), Path.Combine(_dir, "curve.bmp")));
    }

    [Fact]
    public void MovingAverage_IsTrailing()
    {
        Assert.Equal([1.0, 1.5, 2.5, 3.5], CurvePlot.MovingAverage([1, 2, 3, 4], 2));
    }
}
