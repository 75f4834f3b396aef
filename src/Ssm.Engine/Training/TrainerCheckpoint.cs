using System.Globalization;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Everything besides the weights and optimiser moments that a resumed run needs: counters and the
/// positions of the named random streams (e.g. "data", "dropout").</summary>
public sealed class TrainerState
{
    /// <summary>Completed optimiser updates.</summary>
    public long Step { get; set; }

    /// <summary>Position of the learning-rate schedule (the next update uses <c>schedule.At(ScheduleStep)</c>).
    /// </summary>
    public long ScheduleStep { get; set; }

    /// <summary>Training tokens consumed so far.</summary>
    public long TokensSeen { get; set; }

    /// <summary>Random stream positions by name.</summary>
    public Dictionary<string, PhiloxState> Generators { get; } = new(StringComparer.Ordinal);

    /// <summary>Free-form string metadata (run configuration, model family, ...).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
}

/// <summary>Reads and writes <c>trainer_state.safetensors</c>: <c>trainer.step</c>,
/// <c>trainer.schedule_step</c>, <c>trainer.tokens_seen</c> (int64 [1]), <c>trainer.learning_rate</c>
/// (float64 [1]), <c>rng.{name}</c> (int64 [7], see <see cref="PhiloxState.ToArray"/>) and the optimiser state
/// as <c>optimizer.step</c> / <c>optimizer.{slot}.{parameter}</c> in the parameters' dtypes. The header metadata
/// holds <c>format</c>, <c>optimizer</c> and the caller's entries. Writes are atomic; reads restore bit-exact
/// values, so a resumed run continues exactly.</summary>
public static class TrainerCheckpoint
{
    /// <summary>The conventional file name inside a run directory.</summary>
    public const string FileName = "trainer_state.safetensors";

    /// <summary>Value of the <c>format</c> metadata entry.</summary>
    public const string Format = "ssm-engine-trainer-state/1";

    /// <summary>Writes <paramref name="state"/> and <paramref name="optimizer"/>'s state to
    /// <paramref name="path"/> atomically.</summary>
    public static void Save(string path, TrainerState state, Optimizer optimizer)
    {
        var entries = new List<SafetensorsTensor>
        {
            TensorBytes.Int64Entry("trainer.step", [state.Step]),
            TensorBytes.Int64Entry("trainer.schedule_step", [state.ScheduleStep]),
            TensorBytes.Int64Entry("trainer.tokens_seen", [state.TokensSeen]),
            TensorBytes.Float64Entry("trainer.learning_rate", [optimizer.LearningRate]),
        };
        foreach (var (name, g) in state.Generators.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            entries.Add(TensorBytes.Int64Entry("rng." + name, g.ToArray()));
        foreach (var (name, value) in optimizer.ExportState())
            entries.Add(TensorBytes.ToEntry("optimizer." + name, value));
        var meta = new Dictionary<string, string>(state.Metadata, StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["optimizer"] = optimizer.Kind,
            ["optimizer_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        SafetensorsWriter.Write(path, entries, meta);
    }

    /// <summary>Reads a file written by <see cref="Save"/>: imports the optimiser state (and learning rate) into
    /// <paramref name="optimizer"/>, which must be of the same kind over the same parameters, and returns the
    /// trainer state. Throws <see cref="SafetensorsException"/> or <see cref="ArgumentException"/> naming the
    /// problem on a mismatch.</summary>
    public static TrainerState Load(string path, Optimizer optimizer)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new SafetensorsException(path, null, $"not a trainer state (format '{format ?? "none"}')");
        if (file.Metadata.TryGetValue("optimizer", out var kind) && kind != optimizer.Kind)
            throw new ArgumentException($"[checkpoint] {path} holds {kind} state; the optimiser is {optimizer.Kind}");
        var state = new TrainerState
        {
            Step = Scalar(file, "trainer.step"),
            ScheduleStep = Scalar(file, "trainer.schedule_step"),
            TokensSeen = Scalar(file, "trainer.tokens_seen"),
        };
        foreach (var kv in file.Metadata)
            if (kv.Key is not ("format" or "optimizer" or "optimizer_step")) state.Metadata[kv.Key] = kv.Value;
        var optState = new List<(string, Tensor)>();
        foreach (var e in file.Entries)
        {
            if (e.Name.StartsWith("rng.", StringComparison.Ordinal))
                state.Generators[e.Name[4..]] = PhiloxState.FromArray(file.ReadInt64(e.Name));
            else if (e.Name == "optimizer.step")
                optState.Add(("step", Tensor.FromArray(file.ReadInt64(e.Name), e.Shape)));
            else if (e.Name.StartsWith("optimizer.", StringComparison.Ordinal))
            {
                var t = Tensor.Zeros(e.Shape, e.DType);
                TensorBytes.ReadInto(file, e.Name, t);
                optState.Add((e.Name["optimizer.".Length..], t));
            }
        }
        optimizer.ImportState(optState);
        optimizer.LearningRate = file.ReadFloat64("trainer.learning_rate")[0];
        return state;
    }

    private static long Scalar(SafetensorsFile file, string name)
    {
        var v = file.ReadInt64(name);
        if (v.Length != 1) throw new SafetensorsException(file.Path, name, $"expected one value, got {v.Length}");
        return v[0];
    }
}
