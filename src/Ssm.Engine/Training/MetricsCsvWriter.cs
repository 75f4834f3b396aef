using System.Globalization;
using System.Text;
using Ssm.Engine.IO;

namespace Ssm.Engine.Training;

/// <summary>One row of training metrics. NaN marks a value not measured at that step (written empty).</summary>
public sealed record TrainingMetrics(long Step, double Loss, double LearningRate, double TokensPerSecond,
    double GradNorm = double.NaN, double ElapsedSeconds = double.NaN)
{
    /// <summary>Extra named values (e.g. eval accuracy); columns are fixed when the writer is created.</summary>
    public IReadOnlyDictionary<string, double>? Extra { get; init; }
}

/// <summary>Writes metrics as CSV (<c>step,loss,lr,tokens_per_s,grad_norm,elapsed_s[,extra...]</c>). Rows are
/// appended and flushed to <c>{path}.partial</c> as training runs, so a crash keeps them; <see cref="Complete"/>
/// publishes the finished file atomically at <c>path</c> and removes the partial file.</summary>
public sealed class MetricsCsvWriter : IDisposable
{
    /// <summary>The fixed leading columns.</summary>
    public static readonly IReadOnlyList<string> BaseColumns =
        ["step", "loss", "lr", "tokens_per_s", "grad_norm", "elapsed_s"];

    private readonly StreamWriter _writer;
    private readonly IReadOnlyList<string> _extra;
    private bool _completed;

    /// <summary>The final CSV path.</summary>
    public string Path { get; }

    /// <summary>Where rows go until <see cref="Complete"/>.</summary>
    public string PartialPath { get; }

    /// <summary>Starts a metrics file. With <paramref name="resume"/>, rows of an existing partial (or else
    /// final) file with a step below <paramref name="resumeFromStep"/> are kept, so a resumed run continues the
    /// curve without duplicates.</summary>
    public MetricsCsvWriter(string path, IReadOnlyList<string>? extraColumns = null, bool resume = false,
        long resumeFromStep = long.MaxValue)
    {
        Path = System.IO.Path.GetFullPath(path);
        PartialPath = Path + ".partial";
        _extra = extraColumns ?? [];
        string header = string.Join(",", BaseColumns.Concat(_extra));
        var kept = new List<string>();
        if (resume)
        {
            string? from = File.Exists(PartialPath) ? PartialPath : File.Exists(Path) ? Path : null;
            if (from is not null)
            {
                var lines = File.ReadAllLines(from);
                if (lines.Length > 0 && lines[0] != header)
                    throw new InvalidOperationException(
                        $"[metrics] {from} has columns '{lines[0]}', expected '{header}'");
                kept.AddRange(lines.Skip(1).Where(l => l.Length > 0 && long.Parse(l.Split(',')[0],
                    CultureInfo.InvariantCulture) < resumeFromStep));
            }
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = new StreamWriter(PartialPath, append: false, new UTF8Encoding(false));
        _writer.WriteLine(header);
        foreach (var l in kept) _writer.WriteLine(l);
        _writer.Flush();
    }

    /// <summary>Appends one row and flushes it.</summary>
    public void Append(TrainingMetrics m)
    {
        if (_completed) throw new InvalidOperationException("[metrics] writer already completed");
        var sb = new StringBuilder();
        sb.Append(m.Step.ToString(CultureInfo.InvariantCulture));
        foreach (double v in new[] { m.Loss, m.LearningRate, m.TokensPerSecond, m.GradNorm, m.ElapsedSeconds })
            sb.Append(',').Append(Format(v));
        foreach (var c in _extra)
            sb.Append(',').Append(m.Extra is not null && m.Extra.TryGetValue(c, out var v) ? Format(v) : "");
        _writer.WriteLine(sb.ToString());
        _writer.Flush();
    }

    /// <summary>Publishes the CSV atomically at <see cref="Path"/> and deletes the partial file.</summary>
    public void Complete()
    {
        if (_completed) return;
        _writer.Dispose();
        AtomicFile.WriteAllText(Path, File.ReadAllText(PartialPath));
        File.Delete(PartialPath);
        _completed = true;
    }

    /// <summary>Closes the partial file without publishing (an interrupted run keeps its rows there).</summary>
    public void Dispose()
    {
        if (!_completed) _writer.Dispose();
    }

    private static string Format(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a metrics CSV (final or partial) back into rows; empty cells become NaN.</summary>
    public static List<TrainingMetrics> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        var cols = lines[0].Split(',');
        var rows = new List<TrainingMetrics>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            double Get(int i) => i < cells.Length && cells[i].Length > 0
                ? double.Parse(cells[i], CultureInfo.InvariantCulture) : double.NaN;
            var extra = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = BaseColumns.Count; i < cols.Length; i++) extra[cols[i]] = Get(i);
            rows.Add(new TrainingMetrics(long.Parse(cells[0], CultureInfo.InvariantCulture), Get(1), Get(2), Get(3),
                Get(4), Get(5)) { Extra = extra });
        }
        return rows;
    }
}
