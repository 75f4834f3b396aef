using Ssm.Engine.IO;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Models.Tests.Loading;

/// <summary>Temporary checkpoint directories (deleted on dispose) and the golden model directories.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ssm-ckpt-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class CheckpointDirs
{
    public static string Models => System.IO.Path.Combine(GoldenPaths.Root, "models");

    public static string Format(string model, string format) => System.IO.Path.Combine(Models, model, format);

    /// <summary>(model, format) of every golden checkpoint directory.</summary>
    public static IEnumerable<object[]> All() =>
        Directory.EnumerateDirectories(Models).Order(StringComparer.Ordinal).SelectMany(m =>
            Directory.EnumerateDirectories(m)
                .Where(d => System.IO.File.Exists(System.IO.Path.Combine(d, "config.json")))
                .Order(StringComparer.Ordinal)
                .Select(d => new object[] { System.IO.Path.GetFileName(m), System.IO.Path.GetFileName(d) }));

    /// <summary>Saves <paramref name="model"/> into a new temporary directory.</summary>
    public static TempDir Saved(CausalLm model)
    {
        var dir = new TempDir();
        model.Save(dir.Path);
        return dir;
    }

    /// <summary>Rewrites the directory's model.safetensors through <paramref name="edit"/> (name → shape, data).
    /// </summary>
    public static void EditWeights(string dir, Action<Dictionary<string, (int[] Shape, float[] Data)>> edit)
    {
        string path = System.IO.Path.Combine(dir, CheckpointFiles.Safetensors);
        var tensors = new Dictionary<string, (int[], float[])>();
        using (var f = SafetensorsFile.Open(path))
            foreach (var e in f.Entries) tensors[e.Name] = (e.Shape, f.ReadFloat32(e.Name));
        edit(tensors);
        SafetensorsWriter.Write(path,
            tensors.Select(t => SafetensorsTensor.FromFloat32(t.Key, t.Value.Item1, t.Value.Item2)));
    }
}
