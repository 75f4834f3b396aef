using System.Security.Cryptography;
using System.Text.Json;
using Ssm.Engine.IO;

namespace Ssm.Engine.Conformance.Tests.Runner;

/// <summary>Writes tiny golden sets in a temporary directory (deleted on dispose).</summary>
internal sealed class GoldenSetBuilder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ssm-golden-").FullName;

    public string Path(string rel) => System.IO.Path.Combine(Root, rel);

    /// <summary>An op case y = 2x with grad.x = 2·grad_in.y (what <see cref="FakeFamily"/> computes).</summary>
    public string OpCase(string family, string name, float[]? x = null, float[]? y = null,
        double outAtol = 1e-5, double outRtol = 1e-4, string? checkpoint = null, bool withFamily = true)
    {
        x ??= [1f, -2f, 3f, 0.5f];
        y ??= x.Select(v => 2 * v).ToArray();
        float[] gin = x.Select((_, i) => 0.25f * (i + 1)).ToArray();
        var md = new Dictionary<string, string>
        {
            ["format"] = "mamba-oracle-1",
            ["case"] = name,
            ["params"] = "{\"scale\": 2}",
            ["tolerance"] = JsonSerializer.Serialize(new
            {
                @out = new { atol = outAtol, rtol = outRtol },
                grad = new { atol = 1e-5, rtol = 2e-4 },
            }),
        };
        if (withFamily) md["family"] = family;
        if (checkpoint != null) md["checkpoint"] = checkpoint;
        string path = Path($"ops/{family}/{name}.safetensors");
        SafetensorsWriter.Write(path,
        [
            SafetensorsTensor.FromFloat32("in.x", [x.Length], x),
            SafetensorsTensor.FromFloat32("out.y", [y.Length], y),
            SafetensorsTensor.FromFloat32("grad_in.y", [x.Length], gin),
            SafetensorsTensor.FromFloat32("grad.x", [x.Length], gin.Select(g => 2 * g).ToArray()),
        ], md);
        return path;
    }

    /// <summary>models/&lt;name&gt;/golden.safetensors plus one config.json + weights per format.</summary>
    public void Model(string name, params string[] formats)
    {
        SafetensorsWriter.Write(Path($"models/{name}/golden.safetensors"),
            [SafetensorsTensor.FromFloat32("out.logits", [2], [1f, 2f])],
            new Dictionary<string, string> { ["family"] = "model", ["case"] = name });
        foreach (string f in formats)
        {
            Directory.CreateDirectory(Path($"models/{name}/{f}"));
            File.WriteAllText(Path($"models/{name}/{f}/config.json"), "{}");
            SafetensorsWriter.Write(Path($"models/{name}/{f}/model.safetensors"),
                [SafetensorsTensor.FromFloat32("w", [1], [1f])]);
        }
    }

    /// <summary>tokenizers/&lt;name&gt;/ with two encode cases and one decode case.</summary>
    public void Tokenizer(string name)
    {
        Directory.CreateDirectory(Path($"tokenizers/{name}"));
        File.WriteAllText(Path($"tokenizers/{name}/tokenizer.json"), "{\"model\": {}}");
        File.WriteAllText(Path($"tokenizers/{name}/cases.json"),
            "[{\"name\":\"empty\",\"text\":\"\",\"ids\":[]},{\"name\":\"hello\",\"text\":\"hello\",\"ids\":[31373]}]");
        File.WriteAllText(Path($"tokenizers/{name}/decode_cases.json"),
            "[{\"name\":\"lone_byte\",\"ids\":[127],\"skip_special_tokens\":false,\"text\":\"\\ufffd\"}]");
    }

    /// <summary>Writes MANIFEST.json in <paramref name="dir"/> (relative) listing every file below it,
    /// except those <paramref name="exclude"/> names (relative to that directory).</summary>
    public string Manifest(string dir = "", params string[] exclude)
    {
        string root = Path(dir);
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(r => r != "MANIFEST.json" && !exclude.Contains(r))
            .Order(StringComparer.Ordinal)
            .Select(r => new
            {
                path = r,
                bytes = new FileInfo(System.IO.Path.Combine(root, r)).Length,
                sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(System.IO.Path.Combine(root, r)))),
            });
        string path = System.IO.Path.Combine(root, "MANIFEST.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { format = "mamba-oracle-1", files }));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
