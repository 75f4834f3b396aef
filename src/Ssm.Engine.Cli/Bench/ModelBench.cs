using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ssm.Engine.Autograd;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Cli.Bench;

/// <summary>What <c>ssm bench decode|prefill --model M</c> was asked. <paramref name="Length"/> is the prompt
/// length (prefill: the timed sequence; decode: the prefilled context).</summary>
public sealed record ModelBenchRequest(string Mode, string Model, string DType, int Threads, int Repeat,
    int Length, string? JsonPath);

/// <summary>Timing of a model benchmark. <c>CpuMsPerToken</c> is process CPU time per token (all threads), a
/// figure less sensitive to other load on the machine than wall time.</summary>
public sealed record ModelBenchResult(string Mode, string Model, string DType, string Path, int Threads,
    int Repeat, int TokensPerRound, double MedianMs, double MinMs, double TokensPerS, double CpuMsPerToken)
{
    /// <summary>Prefill: GFLOP/s counting 2 flops per matrix weight per token (projections and the LM head).</summary>
    public double? Gflops { get; init; }

    /// <summary>Prefill: <see cref="Gflops"/> over the FMA peak of the build machine at this thread count.</summary>
    public double? FractionOfPeak { get; init; }
}

/// <summary>Model-level benchmarks: <c>decode</c> times batch-1 decode steps (the <see cref="MambaDecoder"/> fast
/// path for pure Mamba-1 or Mamba-2 stacks, else <see cref="CausalLm.Step"/>); <c>prefill</c> times the
/// whole-sequence forward of L tokens (default 2048) and reports GFLOP/s. <c>--model</c> is a checkpoint directory
/// or a preset name (<see cref="ModelPresets"/>, random weights).</summary>
public static class ModelBench
{
    /// <summary>The KERNEL names handled here.</summary>
    public static readonly IReadOnlySet<string> Modes = new HashSet<string>(StringComparer.Ordinal)
        { "decode", "prefill" };

    /// <summary>Runs the request and prints a summary; 0 ok, 2 bad request or JSON not written.</summary>
    public static int Run(ModelBenchRequest req, TextWriter stdout, TextWriter stderr)
    {
        if (req.Threads < 1 || req.Repeat < 1 || req.Length < 1)
        {
            stderr.WriteLine("bench: --threads, --repeat and L must be at least 1");
            return 2;
        }
        if (req.DType is not ("f32" or "bf16"))
        {
            stderr.WriteLine($"bench: unknown --dtype '{req.DType}' (f32 or bf16)");
            return 2;
        }
        CausalLm model;
        try
        {
            model = Build(req.Model, req.DType == "bf16");
        }
        catch (Exception e) when (e is IOException or CheckpointException or ArgumentException
                                      or ModelConfigException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"bench: cannot load model '{req.Model}': {e.Message}");
            return 2;
        }
        int saved = Par.MaxThreads;
        Par.MaxThreads = req.Threads;
        ModelBenchResult r;
        try
        {
            r = req.Mode == "decode" ? Decode(model, req) : Prefill(model, req);
        }
        finally
        {
            Par.MaxThreads = saved;
        }
        Print(r, stdout);
        if (req.JsonPath is { } path)
        {
            try { WriteJson(path, r); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"bench: cannot write {path}: {e.Message}");
                return 2;
            }
        }
        return 0;
    }

    /// <summary>A preset with seeded random weights, or a checkpoint directory; with <paramref name="bf16"/> the
    /// matrices (rank-2 parameters) are held in bfloat16, as a bf16 checkpoint is.</summary>
    public static CausalLm Build(string model, bool bf16)
    {
        var lm = ModelPresets.Find(model) is { } cfg ? new CausalLm(cfg, seed: 0)
            : ModelLoader.Load(model, new LoadOptions(KeepBFloat16: bf16)).Model;
        if (bf16)
            foreach (var (path, t) in lm.NamedParameters().ToList())
                if (t.DType == DType.Float32 && t.Rank == 2) lm.SetParameter(path, t.To(DType.BFloat16));
        return lm;
    }

    private static ModelBenchResult Decode(CausalLm model, ModelBenchRequest req)
    {
        bool bf16 = req.DType == "bf16";
        int[] prompt = [.. Enumerable.Range(0, req.Length).Select(i => (i * 7919 + 13) % model.Config.VocabSize)];
        if (MambaDecoder.Supports(model))
        {
            var dec = new MambaDecoder(model, bf16, req.Threads);
            var st = dec.NewState();
            dec.Prefill(st, 0, prompt);
            int token = 1;
            return Time("decode", req, "mamba_decoder", () =>
            {
                var logits = dec.Step(token, st);
                token = (token * 31 + (logits[0] > 0 ? 1 : 2)) % model.Config.VocabSize;
            }, 1);
        }
        var cache = model.NewCache();
        using (Tape.NoGrad()) model.Forward(Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length),
            cache);
        var id = Tensor.FromArray(new long[] { 1 }, 1);
        return Time("decode", req, "causal_lm_step", () =>
        {
            using (Tape.NoGrad()) model.Step(id, cache);
        }, 1);
    }

    private static ModelBenchResult Prefill(CausalLm model, ModelBenchRequest req)
    {
        var ids = Tensor.FromArray(Enumerable.Range(0, req.Length)
            .Select(i => (long)((i * 7919 + 13) % model.Config.VocabSize)).ToArray(), 1, req.Length);
        var r = Time("prefill", req, "causal_lm_forward", () =>
        {
            using (Tape.NoGrad()) model.Forward(ids);
        }, req.Length);
        // Matrix weights (rank 2, embedding excluded) plus the head's V_pad × D; the scans' flops are left out.
        var c = model.Config;
        double weights = model.NamedParameters().Where(p => p.Value.Shape.Length == 2 && !p.Path.Contains("embedding"))
            .Sum(p => (double)p.Value.NumEl) - (c.TieEmbeddings ? 0 : (double)c.PaddedVocabSize * c.DModel)
            + (double)c.PaddedVocabSize * c.DModel;
        double gflops = 2 * weights * r.TokensPerS / 1e9;
        // FMA peak of the 2-core build machine (docs/performance.md): 101.3 GFLOP/s per thread, 202.3 at two.
        double peak = req.Threads <= 1 ? 101.3 : 202.3 * req.Threads / 2;
        return r with { Gflops = gflops, FractionOfPeak = gflops / peak };
    }

    private static ModelBenchResult Time(string mode, ModelBenchRequest req, string path, Action call, int tokens)
    {
        var sw = Stopwatch.StartNew();
        int warm = 0;
        do
        {
            call();
            warm++;
        } while (sw.Elapsed < TimeSpan.FromSeconds(0.5) || warm < 2);
        double perCall = sw.Elapsed.TotalSeconds / warm;
        int calls = (int)Math.Clamp(Math.Ceiling(0.5 / Math.Max(perCall, 1e-9)), 1, 100_000);
        var ms = new double[req.Repeat];
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        for (int r = 0; r < req.Repeat; r++)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) call();
            ms[r] = sw.Elapsed.TotalMilliseconds / calls;
        }
        proc.Refresh();
        double cpuMs = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / ((double)req.Repeat * calls * tokens);
        Array.Sort(ms);
        double median = ms.Length % 2 == 1 ? ms[ms.Length / 2] : (ms[ms.Length / 2 - 1] + ms[ms.Length / 2]) / 2;
        return new ModelBenchResult(mode, req.Model, req.DType, path, req.Threads, req.Repeat, calls * tokens,
            median, ms[0], tokens * 1000.0 / median, cpuMs);
    }

    private static void Print(ModelBenchResult r, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"bench      {r.Mode} ({r.Path})");
        o.WriteLine($"model      {r.Model}, {r.DType}");
        o.WriteLine($"device     cpu, {r.Threads} threads");
        o.WriteLine(string.Create(ci, $"time       median {r.MedianMs:F3} ms, min {r.MinMs:F3} ms per call "
            + $"({r.Repeat} rounds x {r.TokensPerRound} tokens)"));
        o.WriteLine(string.Create(ci, $"tokens/s   {r.TokensPerS:F2}"));
        o.WriteLine(string.Create(ci, $"cpu        {r.CpuMsPerToken:F3} ms CPU time per token (all threads)"));
        if (r.Gflops is { } g)
            o.WriteLine(string.Create(ci,
                $"GFLOP/s    {g:F1} (2 per matrix weight per token), {r.FractionOfPeak:P1} of the FMA peak"));
    }

    /// <summary>Writes the JSON record atomically: mode, model, device, dtype, path, threads, repeat,
    /// tokens_per_round, median_ms, min_ms, tokens_per_s, cpu_ms_per_token.</summary>
    public static void WriteJson(string path, ModelBenchResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mode", r.Mode);
            w.WriteString("model", r.Model);
            w.WriteString("device", "cpu");
            w.WriteString("dtype", r.DType);
            w.WriteString("path", r.Path);
            w.WriteNumber("threads", r.Threads);
            w.WriteNumber("repeat", r.Repeat);
            w.WriteNumber("tokens_per_round", r.TokensPerRound);
            w.WriteNumber("median_ms", r.MedianMs);
            w.WriteNumber("min_ms", r.MinMs);
            w.WriteNumber("tokens_per_s", r.TokensPerS);
            w.WriteNumber("cpu_ms_per_token", r.CpuMsPerToken);
            if (r.Gflops is { } g) w.WriteNumber("gflops", g);
            if (r.FractionOfPeak is { } f) w.WriteNumber("fraction_of_peak", f);
            w.WriteEndObject();
        }
        AtomicFile.Write(path, fs => fs.Write(ms.GetBuffer(), 0, (int)ms.Length));
    }
}
