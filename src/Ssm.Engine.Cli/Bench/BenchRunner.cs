using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ssm.Engine.Devices;
using Ssm.Engine.IO;

namespace Ssm.Engine.Cli.Bench;

/// <summary>What <c>ssm bench</c> was asked: kernel, shape overrides, device and timing options.</summary>
public sealed record BenchRequest(string Kernel, IReadOnlyDictionary<string, int> Shape, DeviceSpec Device,
    int Threads, int Repeat, string? JsonPath);

/// <summary>The timing of one kernel: per-call milliseconds over the timed rounds and derived rates.</summary>
public sealed record BenchResult(string Kernel, DeviceSpec Device, IReadOnlyDictionary<string, int> Shape,
    string Options, int Threads, int Repeat, int CallsPerRound, double MedianMs, double MinMs, double Gflops,
    double Gbps, double? BoundMs)
{
    /// <summary>bound_ms / median_ms (1 = at the machine bound), or null without a bound.</summary>
    public double? FractionOfBound => BoundMs is { } b && MedianMs > 0 ? b / MedianMs : null;
}

/// <summary>Validates a kernel against its Reference, warms it up, then times <see cref="BenchRequest.Repeat"/>
/// rounds (each one or more calls, so that a round lasts about the round target).</summary>
public sealed class BenchRunner(BenchRegistry registry, TimeSpan warmUp, TimeSpan roundTarget)
{
    /// <summary>Runs the request and prints the summary; returns 0, 1 (validation mismatch or the kernel
    /// threw), 2 (unknown
    /// kernel, bad option, JSON not written) or 3 (device not available).</summary>
    public int Run(BenchRequest req, TextWriter stdout, TextWriter stderr)
    {
        var bench = registry.Find(req.Kernel);
        if (bench is null)
        {
            string names = registry.Names.Count == 0 ? "(none)" : string.Join(", ", registry.Names);
            stderr.WriteLine($"bench: unknown kernel '{req.Kernel}'; available: {names}");
            return 2;
        }
        if (req.Threads < 1 || req.Repeat < 1)
        {
            stderr.WriteLine("bench: --threads and --repeat must be at least 1");
            return 2;
        }
        bool onDevice = req.Device.Kind != DeviceKind.Cpu;
        if (onDevice && !(bench is IDeviceKernelBench d && d.Supports(req.Device)))
        {
            string why = bench is not IDeviceKernelBench ? $"kernel {bench.Name} runs on cpu only"
                : !req.Device.IsAvailable(out string reason) ? reason
                : $"kernel {bench.Name} has no implementation for it";
            stderr.WriteLine($"bench: device {req.Device} is not available ({why})");
            return 3;
        }
        var shape = new SortedDictionary<string, int>(bench.DefaultShape.ToDictionary(), StringComparer.Ordinal);
        foreach (var (k, v) in req.Shape)
        {
            if (!shape.ContainsKey(k)) stderr.WriteLine($"bench: note: {bench.Name} has no default for shape key {k}");
            shape[k] = v;
        }
        string? mismatch;
        try
        {
            mismatch = bench.Validate();
        }
        catch (Exception e)
        {
            mismatch = $"{e.GetType().Name}: {e.Message}";
        }
        if (mismatch != null)
        {
            stderr.WriteLine($"bench: {bench.Name} does not match its reference: {mismatch}");
            return 1;
        }
        BenchResult result;
        try
        {
            if (onDevice) ((IDeviceKernelBench)bench).Setup(shape, req.Threads, req.Device);
            else bench.Setup(shape, req.Threads);
            result = Time(bench, req, shape);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            stderr.WriteLine($"bench: {bench.Name} failed: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        Print(result, stdout);
        if (req.JsonPath is { } path)
        {
            try
            {
                WriteJson(path, result);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"bench: cannot write {path}: {e.Message}");
                return 2;
            }
        }
        return 0;
    }

    /// <summary>Parses <c>K=V,K=V</c> (positive integers); throws <see cref="FormatException"/> naming the
    /// bad item.</summary>
    public static Dictionary<string, int> ParseShape(string? text)
    {
        var shape = new Dictionary<string, int>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return shape;
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = item.IndexOf('=');
            var ci = CultureInfo.InvariantCulture;
            if (eq <= 0 || !int.TryParse(item[(eq + 1)..], NumberStyles.None, ci, out int v) || v < 1)
                throw new FormatException($"invalid shape item '{item}' (expected KEY=positive integer, e.g. L=2048)");
            shape[item[..eq].Trim()] = v;
        }
        return shape;
    }

    private BenchResult Time(IKernelBench bench, BenchRequest req, IReadOnlyDictionary<string, int> shape)
    {
        var sw = Stopwatch.StartNew();
        int warmCalls = 0;
        do
        {
            bench.Run();
            warmCalls++;
        } while (sw.Elapsed < warmUp);
        double perCall = sw.Elapsed.TotalSeconds / warmCalls;
        int calls = (int)Math.Clamp(Math.Ceiling(roundTarget.TotalSeconds / Math.Max(perCall, 1e-9)), 1, 1_000_000);
        var ms = new double[req.Repeat];
        for (int r = 0; r < req.Repeat; r++)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) bench.Run();
            ms[r] = sw.Elapsed.TotalMilliseconds / calls;
        }
        Array.Sort(ms);
        double median = ms.Length % 2 == 1 ? ms[ms.Length / 2] : (ms[ms.Length / 2 - 1] + ms[ms.Length / 2]) / 2;
        double seconds = median / 1e3;
        return new BenchResult(bench.Name, req.Device, shape, bench.Options, req.Threads, req.Repeat, calls,
            median, ms[0], bench.Flops / seconds / 1e9, bench.Bytes / seconds / 1e9, bench.BoundMs);
    }

    private static void Print(BenchResult r, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"kernel     {r.Kernel}");
        o.WriteLine($"device     {r.Device}, {r.Threads} threads");
        o.WriteLine($"shape      {string.Join(' ', r.Shape.Select(kv => $"{kv.Key}={kv.Value}"))}");
        if (r.Options.Length > 0) o.WriteLine($"options    {r.Options}");
        o.WriteLine(string.Create(ci,
            $"time       median {r.MedianMs:F4} ms, min {r.MinMs:F4} ms "
            + $"({r.Repeat} rounds x {r.CallsPerRound} calls)"));
        o.WriteLine(string.Create(ci, $"GFLOP/s    {r.Gflops:F2}"));
        o.WriteLine(string.Create(ci, $"GB/s       {r.Gbps:F2}"));
        o.WriteLine(r.BoundMs is { } b
            ? string.Create(ci, $"bound      {b:F4} ms, fraction of bound {r.FractionOfBound:F3}")
            : "bound      (none defined)");
    }

    /// <summary>Writes the JSON record atomically: kernel, device, shape, options, threads, repeat, median_ms,
    /// min_ms, gflops, gbps, bound_ms, fraction_of_bound (the last two null without a bound).</summary>
    public static void WriteJson(string path, BenchResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("kernel", r.Kernel);
            w.WriteString("device", r.Device.ToString());
            w.WriteStartObject("shape");
            foreach (var (k, v) in r.Shape) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteString("options", r.Options);
            w.WriteNumber("threads", r.Threads);
            w.WriteNumber("repeat", r.Repeat);
            w.WriteNumber("median_ms", r.MedianMs);
            w.WriteNumber("min_ms", r.MinMs);
            w.WriteNumber("gflops", r.Gflops);
            w.WriteNumber("gbps", r.Gbps);
            if (r.BoundMs is { } b) w.WriteNumber("bound_ms", b); else w.WriteNull("bound_ms");
            if (r.FractionOfBound is { } f) w.WriteNumber("fraction_of_bound", f);
            else w.WriteNull("fraction_of_bound");
            w.WriteEndObject();
        }
        AtomicFile.Write(path, fs => fs.Write(ms.GetBuffer(), 0, (int)ms.Length));
    }
}
