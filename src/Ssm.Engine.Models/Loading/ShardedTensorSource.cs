using System.Text.Json;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Loading;

/// <summary>The HF sharded layout: <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor → shard
/// file) over several complete safetensors files, read as one <see cref="ITensorSource"/>.</summary>
public sealed class ShardedTensorSource : ITensorSource
{
    private readonly Dictionary<string, SafetensorsFile> _byTensor = [];
    private readonly List<SafetensorsFile> _files = [];

    private ShardedTensorSource(string indexPath) => SourcePath = indexPath;

    /// <summary>Opens every shard named by the index; throws when a shard is missing or lacks a tensor the
    /// index assigns to it.</summary>
    public static ShardedTensorSource Open(string indexPath)
    {
        var src = new ShardedTensorSource(indexPath);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"[checkpoint] {indexPath}: no weight_map object");
            string dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
            var shards = new Dictionary<string, SafetensorsFile>();
            foreach (var p in map.EnumerateObject())
            {
                string shard = p.Value.GetString() ?? "";
                if (!shards.TryGetValue(shard, out var file))
                {
                    string path = Path.Combine(dir, shard);
                    if (!File.Exists(path))
                        throw new FileNotFoundException(
                            $"[checkpoint] {indexPath}: shard {shard} does not exist", path);
                    file = shards[shard] = SafetensorsFile.Open(path);
                    src._files.Add(file);
                }
                if (!file.Contains(p.Name))
                    throw new InvalidDataException($"[checkpoint] {indexPath}: {p.Name} is not in shard {shard}");
                src._byTensor[p.Name] = file;
            }
            return src;
        }
        catch
        {
            src.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public string SourcePath { get; }

    /// <inheritdoc/>
    public IEnumerable<string> TensorNames => _byTensor.Keys;

    /// <inheritdoc/>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <inheritdoc/>
    public (DType DType, int[] Shape) Describe(string name) => ShardOf(name).Describe(name);

    /// <inheritdoc/>
    public float[] ReadFloat32(string name) => ShardOf(name).ReadFloat32(name);

    /// <inheritdoc/>
    public ushort[] ReadBFloat16Raw(string name) => ShardOf(name).ReadBFloat16Raw(name);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    private SafetensorsFile ShardOf(string name) => _byTensor.TryGetValue(name, out var f) ? f
        : throw new KeyNotFoundException($"[checkpoint] {SourcePath}: no tensor {name}");
}
