using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Loading;

/// <summary>Options of <see cref="ModelLoader.Load"/>.</summary>
/// <param name="KeepBFloat16">Keep BF16 projection weights as BF16 (half the memory; the matmul widens them);
/// otherwise every tensor is widened to float32.</param>
public sealed record LoadOptions(bool KeepBFloat16 = false);

/// <summary>A loaded model with the format it came from and the config warnings (unknown keys, …).</summary>
public sealed record LoadedModel(CausalLm Model, CheckpointFormat Format, IReadOnlyList<string> Warnings);

/// <summary>Loads mamba_ssm native and transformers Mamba / Mamba-2 checkpoint directories (config.json plus
/// model.safetensors, a sharded index, or pytorch_model.bin). Checkpoint key names live in this folder only.
/// </summary>
public static class ModelLoader
{
    private const string NativeEmbedding = "backbone.embedding.weight";
    private const string HfEmbedding = "backbone.embeddings.weight";
    private const string Head = "lm_head.weight";

    /// <summary>Loads <paramref name="dir"/>; throws <see cref="ModelConfigReadException"/> for an unusable
    /// config and <see cref="CheckpointException"/> when the tensors do not fit it.</summary>
    public static LoadedModel Load(string dir, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        string configPath = Path.Combine(dir, "config.json");
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"[checkpoint] {dir} has no config.json", configPath);
        var warnings = new List<string>();
        var (config, format) = ConfigReader.ReadFile(configPath, warnings);
        var model = new CausalLm(config);
        using var source = CheckpointFiles.OpenWeights(dir);
        LoadWeights(model, source, options);
        return new LoadedModel(model, format, warnings);
    }

    /// <summary>Copies every parameter of <paramref name="model"/> from <paramref name="source"/>, accepting
    /// both <c>embedding</c> and <c>embeddings</c> names and a stored head when the head is tied.</summary>
    public static void LoadWeights(CausalLm model, ITensorSource source, LoadOptions options)
    {
        var missing = new List<string>();
        var shapes = new List<string>();
        var used = new HashSet<string>();
        foreach (var (path, current) in model.NamedParameters().ToList())
        {
            string? key = Candidates(path).FirstOrDefault(source.Contains);
            if (key is null)
            {
                missing.Add(path);
                continue;
            }
            used.Add(key);
            var (dtype, shape) = source.Describe(key);
            if (!shape.AsSpan().SequenceEqual(current.Shape))
            {
                shapes.Add($"{key}: expected {ShapeUtil.Format(current.Shape)}, found {ShapeUtil.Format(shape)}");
                continue;
            }
            var value = dtype == DType.BFloat16 && options.KeepBFloat16 && IsProjection(path)
                ? Tensor.FromBFloat16Bits(source.ReadBFloat16Raw(key), shape)
                : Tensor.FromArray(source.ReadFloat32(key), shape);
            model.SetParameter(path, value);
        }
        if (model.Config.TieEmbeddings && source.Contains(Head)) used.Add(Head);
        var unexpected = source.TensorNames.Where(n => !used.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
            throw new CheckpointException(source.SourcePath, missing, unexpected, shapes);
    }

    /// <summary>The state-dict key of each parameter path, native names first.</summary>
    public static IEnumerable<string> Candidates(string path)
    {
        yield return path;
        if (path == NativeEmbedding) yield return HfEmbedding;
    }

    private static bool IsProjection(string path) =>
        path.EndsWith("proj.weight", StringComparison.Ordinal) || path.EndsWith("fc1.weight", StringComparison.Ordinal)
        || path.EndsWith("fc2.weight", StringComparison.Ordinal) || path == Head;
}
