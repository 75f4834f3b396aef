namespace Ssm.Engine.Conformance.Runner;

/// <summary>The manifests that can govern files under a directory: the nearest <c>MANIFEST.json</c> at or
/// above it, and every one below it. A file is governed by the nearest manifest among its ancestors.</summary>
public sealed class ManifestIndex
{
    private readonly List<SetManifest> _manifests;

    private ManifestIndex(List<SetManifest> manifests) =>
        _manifests = manifests.OrderByDescending(m => m.Root.Length).ToList();

    /// <summary>Loads the manifests for <paramref name="dir"/>; throws <see cref="ConformanceUsageException"/>
    /// when one is unreadable.</summary>
    public static ManifestIndex For(string dir)
    {
        string root = Path.GetFullPath(dir);
        var paths = new List<string>();
        for (var d = new DirectoryInfo(root).Parent; d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "MANIFEST.json");
            if (File.Exists(p)) { paths.Add(p); break; }
        }
        if (Directory.Exists(root))
            paths.AddRange(Directory.EnumerateFiles(root, "MANIFEST.json", SearchOption.AllDirectories));
        try
        {
            return new ManifestIndex(paths.Select(SetManifest.Load).ToList());
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new ConformanceUsageException(e.Message);
        }
    }

    /// <summary>The manifest governing a file (full path), or null.</summary>
    public SetManifest? Governing(string fullPath) => _manifests.FirstOrDefault(m => m.Covers(fullPath));

    /// <summary>Listed files inside <paramref name="dir"/> whose governing manifest lists them.</summary>
    public IEnumerable<string> ListedUnder(string dir)
    {
        string prefix = dir.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return _manifests.SelectMany(m => m.ListedFiles)
            .Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && Governing(f)!.Lists(f));
    }

    /// <summary>Problems of the case's files against their manifests, joined by "; ", or null.</summary>
    public string? Verify(IEnumerable<string> files)
    {
        var problems = files.Select(f => Governing(f)?.Verify(f)).Where(p => p != null).ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}

/// <summary>A command-line or I/O problem that stops the run before any case (exit code 2).</summary>
public sealed class ConformanceUsageException(string message) : Exception(message);
