using System.Security.Cryptography;
using System.Text.Json;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>A <c>MANIFEST.json</c> (<c>{"files": [{"path", "bytes", "sha256"}]}</c>): the files that
/// belong to a set, with their sizes and hashes. Paths are relative to the manifest's directory.</summary>
public sealed class SetManifest
{
    private readonly Dictionary<string, (long Bytes, string Sha256)> _files;
    private readonly Dictionary<string, string?> _verified = new(StringComparer.Ordinal);

    /// <summary>The directory the manifest describes (where MANIFEST.json lies).</summary>
    public string Root { get; }

    /// <summary>Full paths of every listed file.</summary>
    public IEnumerable<string> ListedFiles => _files.Keys;

    private SetManifest(string root, Dictionary<string, (long, string)> files)
    {
        Root = root;
        _files = files;
    }

    /// <summary>Reads <paramref name="manifestPath"/>; throws <see cref="InvalidDataException"/> naming it
    /// when it is not a manifest.</summary>
    public static SetManifest Load(string manifestPath)
    {
        string root = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        var files = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray())
            {
                string rel = f.GetProperty("path").GetString()!;
                string full = Path.GetFullPath(Path.Combine(root, rel));
                string sha = f.GetProperty("sha256").GetString()!.ToLowerInvariant();
                files[full] = (f.GetProperty("bytes").GetInt64(), sha);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException
                                  or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{manifestPath}: not a valid MANIFEST.json: {e.Message}", e);
        }
        return new SetManifest(root, files);
    }

    /// <summary>True when the file (full path) is listed.</summary>
    public bool Lists(string fullPath) => _files.ContainsKey(fullPath);

    /// <summary>True when <paramref name="fullPath"/> lies inside the manifest's directory.</summary>
    public bool Covers(string fullPath) =>
        fullPath.StartsWith(Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar,
            StringComparison.Ordinal);

    /// <summary>Checks a listed file's presence, size and sha256 (each file hashed once); returns null
    /// when it matches, otherwise the problem. Unlisted files are not checked (null).</summary>
    public string? Verify(string fullPath)
    {
        if (!_files.TryGetValue(fullPath, out var want)) return null;
        if (_verified.TryGetValue(fullPath, out var cached)) return cached;
        string rel = Path.GetRelativePath(Root, fullPath);
        string? problem;
        if (!File.Exists(fullPath)) problem = $"{rel} is listed in MANIFEST.json but missing";
        else
        {
            long size = new FileInfo(fullPath).Length;
            if (size != want.Bytes) problem = $"{rel}: {size} bytes, MANIFEST.json lists {want.Bytes}";
            else
            {
                using var fs = File.OpenRead(fullPath);
                string sha = Convert.ToHexStringLower(SHA256.HashData(fs));
                problem = sha == want.Sha256 ? null : $"{rel}: sha256 {sha} differs from MANIFEST.json ({want.Sha256})";
            }
        }
        _verified[fullPath] = problem;
        return problem;
    }
}
