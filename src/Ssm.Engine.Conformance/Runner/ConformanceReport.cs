using System.Globalization;
using System.Text.Json;
using Ssm.Engine.IO;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>The text lines and the JSON report of a conformance run.</summary>
public static class ConformanceReport
{
    /// <summary><c>PASS &lt;id&gt;  &lt;worst tensor&gt; max_err &lt;e&gt; (tol &lt;t&gt;)</c>, the same with
    /// FAIL, <c>FAIL &lt;id&gt;  error: &lt;message&gt;</c> or
    /// <c>SKIP &lt;id&gt;  reason: &lt;message&gt;</c>.</summary>
    public static string Line(CaseReport report)
    {
        var o = report.Outcome;
        string id = report.Case.Id;
        if (o.Status == CaseStatus.Skip) return $"SKIP {id}  reason: {OneLine(o.Message ?? "skipped")}";
        string status = o.Status == CaseStatus.Pass ? "PASS" : "FAIL";
        if (o.Message is not null || o.Worst is null) return $"FAIL {id}  error: {OneLine(o.Message ?? "no result")}";
        var w = o.Worst;
        return $"{status} {id}  {w.Name} max_err {Number(w.MaxErr)} (tol {Number(w.Tol)})";
    }

    /// <summary><c>conformance: N passed, M failed, K skipped</c>.</summary>
    public static string Totals(ConformanceSummary s) =>
        $"conformance: {s.Passed} passed, {s.Failed} failed, {s.Skipped} skipped";

    /// <summary>Scientific notation with 3 significant digits and a two-digit exponent: <c>1.23e-06</c>.</summary>
    public static string Number(double v) =>
        double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf")
        : v.ToString("0.00e+00", CultureInfo.InvariantCulture);

    /// <summary>Writes the report atomically: <c>{"dir", "device", "passed", "failed", "skipped", "cases":
    /// [{"id", "family", "case", "format", "status", "worst_tensor", "max_err", "tol", "reason",
    /// "seconds"}]}</c> (NaN errors are written as null).</summary>
    public static void WriteJson(string path, ConformanceSummary s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dir", s.Dir);
            w.WriteString("device", s.Device.ToString());
            w.WriteNumber("passed", s.Passed);
            w.WriteNumber("failed", s.Failed);
            w.WriteNumber("skipped", s.Skipped);
            w.WriteStartArray("cases");
            foreach (var r in s.Cases) WriteCase(w, r);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.Write(path, fs => fs.Write(ms.GetBuffer(), 0, (int)ms.Length));
    }

    private static void WriteCase(Utf8JsonWriter w, CaseReport r)
    {
        var c = r.Case;
        var o = r.Outcome;
        var worst = o.Message is null ? o.Worst : null;
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteString("family", c.Family);
        w.WriteString("case", c.Case);
        if (c.Format is null) w.WriteNull("format"); else w.WriteString("format", c.Format);
        w.WriteString("status", o.Status.ToString().ToUpperInvariant());
        if (worst is null) w.WriteNull("worst_tensor"); else w.WriteString("worst_tensor", worst.Name);
        WriteNumber(w, "max_err", worst?.MaxErr);
        WriteNumber(w, "tol", worst?.Tol);
        if (o.Message is null) w.WriteNull("reason"); else w.WriteString("reason", o.Message);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 6));
        w.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
