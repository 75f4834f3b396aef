using System.Diagnostics;
using Ssm.Engine.Devices;
using Ssm.Engine.IO;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>Options of one conformance run.</summary>
/// <param name="Dir">Set root or any subdirectory of a set.</param>
/// <param name="Device">The device the families run on.</param>
/// <param name="Filters">Case-id globs; a case runs when any matches (all run when empty).</param>
/// <param name="Strict">Count skipped cases as failures for the exit code.</param>
/// <param name="JsonPath">Where to write the JSON report, or null.</param>
public sealed record ConformanceOptions(string Dir, DeviceSpec Device, IReadOnlyList<string> Filters, bool Strict,
    string? JsonPath);

/// <summary>One case with its outcome and run time.</summary>
public sealed record CaseReport(ConformanceCase Case, CaseOutcome Outcome, double Seconds);

/// <summary>All outcomes of a run and the exit code they give.</summary>
public sealed record ConformanceSummary(string Dir, DeviceSpec Device, bool Strict, IReadOnlyList<CaseReport> Cases)
{
    /// <summary>Cases that passed.</summary>
    public int Passed => Cases.Count(c => c.Outcome.Status == CaseStatus.Pass);

    /// <summary>Cases that failed.</summary>
    public int Failed => Cases.Count(c => c.Outcome.Status == CaseStatus.Fail);

    /// <summary>Cases that were skipped.</summary>
    public int Skipped => Cases.Count(c => c.Outcome.Status == CaseStatus.Skip);

    /// <summary>0 when nothing failed and something passed (and, with <see cref="Strict"/>, nothing was
    /// skipped); 1 otherwise, so a run in which every case was skipped is not a success.</summary>
    public int ExitCode => Failed == 0 && Passed > 0 && !(Strict && Skipped > 0) ? 0 : 1;
}

/// <summary>Runs golden cases sequentially (kernels are multi-threaded themselves) and prints one line per
/// case on stdout (see <see cref="ConformanceReport.Line"/>), then the totals; progress goes to stderr.</summary>
public sealed class ConformanceRunner(ConformanceRegistry registry)
{
    /// <summary>Runs everything <paramref name="options"/> selects and returns the exit code: 0 pass, 1 fail,
    /// 2 for a usage or I/O error (no such directory, nothing found, the JSON report not written).</summary>
    public int Run(ConformanceOptions options, TextWriter stdout, TextWriter stderr)
    {
        ConformanceSummary summary;
        try
        {
            summary = RunCases(options, stdout, stderr);
        }
        catch (ConformanceUsageException e)
        {
            stderr.WriteLine($"conformance: error: {e.Message}");
            return 2;
        }
        if (options.JsonPath is { } json)
        {
            try
            {
                ConformanceReport.WriteJson(json, summary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"conformance: error: cannot write {json}: {e.Message}");
                return 2;
            }
        }
        return summary.ExitCode;
    }

    /// <summary>Discovers, filters and runs the cases, printing each line as it completes.</summary>
    public ConformanceSummary RunCases(ConformanceOptions options, TextWriter stdout, TextWriter stderr)
    {
        var manifests = ManifestIndex.For(options.Dir);
        var all = CaseDiscovery.Discover(options.Dir, registry, manifests);
        if (all.Count == 0) throw new ConformanceUsageException($"no golden case found under {options.Dir}");
        var cases = CaseDiscovery.Filter(all, options.Filters);
        if (cases.Count == 0)
            throw new ConformanceUsageException(
                $"none of the {all.Count} cases under {options.Dir} matches {string.Join(", ", options.Filters)}");
        foreach (string e in registry.LoadErrors) stderr.WriteLine($"conformance: warning: cannot create {e}");
        stderr.WriteLine($"conformance: {cases.Count} cases under {options.Dir} on {options.Device}");
        var reports = new List<CaseReport>(cases.Count);
        foreach (var c in cases)
        {
            var sw = Stopwatch.StartNew();
            var outcome = RunCase(c, options.Device, manifests);
            var report = new CaseReport(c, outcome, sw.Elapsed.TotalSeconds);
            reports.Add(report);
            stdout.WriteLine(ConformanceReport.Line(report));
            stdout.Flush();
        }
        var summary = new ConformanceSummary(options.Dir, options.Device, options.Strict, reports);
        stdout.WriteLine(ConformanceReport.Totals(summary));
        return summary;
    }

    /// <summary>Runs one case; never throws (a failure inside a family is a failed case).</summary>
    public CaseOutcome RunCase(ConformanceCase c, DeviceSpec device, ManifestIndex? manifests = null)
    {
        try
        {
            if (manifests?.Verify(c.Files) is { } bad) return CaseOutcome.Error(bad);
            if (c.Problem is { } problem) return CaseOutcome.Error(problem);
            return c.Kind switch
            {
                CaseKind.Op => RunOp(c, device),
                CaseKind.Model => RunModel(c, device),
                _ => RunTokenizer(c),
            };
        }
        catch (Exception e) when (e is InvalidDataException or SafetensorsException)
        {
            return CaseOutcome.Error(e.Message); // these messages already name the file or tensor
        }
        catch (Exception e)
        {
            return CaseOutcome.Error($"{e.GetType().Name}: {e.Message}");
        }
    }

    private CaseOutcome RunOp(ConformanceCase c, DeviceSpec device)
    {
        if (!registry.Families.TryGetValue(c.Family, out var family))
            return CaseOutcome.Skipped("family not implemented");
        if (!family.Supports(device)) return CaseOutcome.Skipped($"family {c.Family} does not support device {device}");
        using var golden = GoldenCase.Open(c.Path);
        var results = family.Run(golden, c.Algorithm, device);
        var checks = new List<TensorResult>();
        foreach (string name in golden.TensorNames)
        {
            bool isOut = name.StartsWith("out.", StringComparison.Ordinal);
            if (!isOut && !name.StartsWith("grad.", StringComparison.Ordinal)) continue;
            if (!results.TryGetValue(name, out var got) || got is null)
                return CaseOutcome.Error($"{name} was not produced by the {c.Family} family");
            checks.Add(TensorComparison.Compare(name, got, golden.Get(name),
                isOut ? golden.OutTolerance : golden.GradTolerance));
        }
        return CaseOutcome.FromTensors(checks);
    }

    private CaseOutcome RunModel(ConformanceCase c, DeviceSpec device)
    {
        if (registry.Models is not { } models) return CaseOutcome.Skipped("model family not implemented");
        if (!models.Supports(device)) return CaseOutcome.Skipped($"model family does not support device {device}");
        return models.Run(System.IO.Path.GetDirectoryName(c.Path)!, c.Format!, c.Path, device);
    }

    private CaseOutcome RunTokenizer(ConformanceCase c)
    {
        if (registry.Tokenizer is not { } tok) return CaseOutcome.Skipped("tokenizer not implemented");
        return c.Decode ? tok.RunDecodeCase(c.Path, c.Entry!.Value) : tok.RunEncodeCase(c.Path, c.Entry!.Value);
    }
}
