using Ssm.Engine.IO;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>Loads a hustvl/Vim checkpoint directory (<c>config.json</c> = the <c>VisionMamba</c> keyword arguments,
/// <c>model.safetensors</c> = the state dict under the official names).</summary>
public static class VimLoader
{
    /// <summary>Reads the config, builds the model and copies every tensor; throws
    /// <see cref="CheckpointException"/> listing missing, unexpected and mis-shaped tensors.</summary>
    public static VisionMamba Load(string dir)
    {
        var config = VimConfig.ReadFile(Path.Combine(dir, "config.json"));
        var model = new VisionMamba(config);
        using var source = CheckpointFiles.OpenWeights(dir);
        LoadWeights(model, source);
        return model;
    }

    /// <summary>Copies every parameter of <paramref name="model"/> from <paramref name="source"/> by name (float32
    /// in memory); nothing is replaced unless every tensor fits.</summary>
    public static void LoadWeights(VisionMamba model, ITensorSource source)
    {
        var missing = new List<string>();
        var shapes = new List<string>();
        var values = new List<(string Path, Tensor Value)>();
        var expected = model.NamedParameters().ToList();
        foreach (var (path, current) in expected)
        {
            if (!source.Contains(path))
            {
                missing.Add(path);
                continue;
            }
            var (_, shape) = source.Describe(path);
            if (!shape.AsSpan().SequenceEqual(current.Shape))
            {
                shapes.Add($"{path}: expected {ShapeUtil.Format(current.Shape)}, found {ShapeUtil.Format(shape)}");
                continue;
            }
            values.Add((path, Tensor.FromArray(source.ReadFloat32(path), shape)));
        }
        var known = expected.Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var unexpected = source.TensorNames.Where(n => !known.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
            throw new CheckpointException(source.SourcePath, missing, unexpected, shapes);
        foreach (var (path, value) in values) model.SetParameter(path, value);
    }
}
