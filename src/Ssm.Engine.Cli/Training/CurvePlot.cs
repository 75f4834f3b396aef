using Ssm.Engine.IO;
using Ssm.Engine.Training;

namespace Ssm.Engine.Cli.Training;

/// <summary>Training-curve figures with ScottPlot: loss (and its moving average, and the validation loss when
/// measured) against the step on the left axis, the learning rate on the right axis. The format follows the file
/// extension (.png or .svg); the file is written atomically.</summary>
public static class CurvePlot
{
    /// <summary>The metrics extra column drawn as the validation-loss series (with markers) when present.
    /// </summary>
    public const string ValidationLoss = "val_loss";

    /// <summary>Renders <paramref name="rows"/> to <paramref name="path"/> and returns the path written. A .png
    /// request falls back to an .svg beside it when the native rasteriser cannot be loaded.</summary>
    public static string Save(IReadOnlyList<TrainingMetrics> rows, string path, string? title = null,
        int width = 900, int height = 500)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".png" or ".svg"))
            throw new ArgumentException($"[plot] unsupported image type '{ext}' for {path}; use .png or .svg");
        if (width < 100 || height < 100) throw new ArgumentException($"[plot] size {width}x{height} is too small");
        var plot = Build(rows, title);
        if (ext == ".svg")
        {
            AtomicFile.WriteAllText(path, plot.GetSvgXml(width, height));
            return path;
        }
        try
        {
            byte[] png = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
            AtomicFile.Write(path, fs => fs.Write(png));
            return path;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            string svg = Path.ChangeExtension(path, ".svg");
            AtomicFile.WriteAllText(svg, plot.GetSvgXml(width, height));
            return svg;
        }
    }

    /// <summary>The figure (exposed for tests and for callers that add series).</summary>
    public static ScottPlot.Plot Build(IReadOnlyList<TrainingMetrics> rows, string? title = null)
    {
        var plot = new ScottPlot.Plot();
        var withLoss = rows.Where(r => double.IsFinite(r.Loss)).ToArray();
        if (withLoss.Length > 0)
        {
            double[] xs = withLoss.Select(r => (double)r.Step).ToArray();
            double[] ys = withLoss.Select(r => r.Loss).ToArray();
            var loss = plot.Add.ScatterLine(xs, ys);
            loss.LegendText = "loss";
            loss.LineWidth = 1;
            if (ys.Length >= 10)
            {
                var avg = plot.Add.ScatterLine(xs, MovingAverage(ys, Math.Max(2, ys.Length / 20)));
                avg.LegendText = "loss (moving average)";
                avg.LineWidth = 2;
            }
        }
        var withVal = rows.Where(r => r.Extra is not null && r.Extra.TryGetValue(ValidationLoss, out var v)
            && double.IsFinite(v)).ToArray();
        if (withVal.Length > 0)
        {
            var val = plot.Add.ScatterLine(withVal.Select(r => (double)r.Step).ToArray(),
                withVal.Select(r => r.Extra![ValidationLoss]).ToArray());
            val.LegendText = "validation loss";
            val.LineWidth = 2;
            val.MarkerSize = 6;
        }
        var withLr = rows.Where(r => double.IsFinite(r.LearningRate)).ToArray();
        if (withLr.Length > 0)
        {
            var lr = plot.Add.ScatterLine(withLr.Select(r => (double)r.Step).ToArray(),
                withLr.Select(r => r.LearningRate).ToArray());
            lr.LegendText = "learning rate";
            lr.LinePattern = ScottPlot.LinePattern.Dashed;
            lr.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "learning rate";
        }
        plot.XLabel("step");
        plot.YLabel("loss");
        if (title is not null) plot.Title(title);
        // Upper right: loss curves start high on the left and the cosine learning rate ends low on the right.
        if (rows.Count > 0) plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot;
    }

    /// <summary>Trailing moving average over <paramref name="window"/> points (shorter at the start).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> ys, int window)
    {
        if (window < 1) throw new ArgumentException($"[plot] window {window} < 1");
        var o = new double[ys.Count];
        double sum = 0;
        for (int i = 0; i < ys.Count; i++)
        {
            sum += ys[i];
            if (i >= window) sum -= ys[i - window];
            o[i] = sum / Math.Min(i + 1, window);
        }
        return o;
    }
}
