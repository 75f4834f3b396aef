using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>Finds the cases under a directory: op golden files, model golden files (one case per checkpoint
/// format beside them), and tokenizer fixtures. A directory holding a <c>config.json</c> is a checkpoint, not
/// a case. Where a <c>MANIFEST.json</c> governs a file (the nearest one in the file's ancestors, looking above
/// the directory too), only listed files belong to the set; listed files that are missing still yield a case,
/// which then fails.</summary>
public static class CaseDiscovery
{
    /// <summary>Discovers every case under <paramref name="dir"/>, sorted by id. Throws
    /// <see cref="ConformanceUsageException"/> when the directory does not exist or a manifest is unreadable.</summary>
    public static List<ConformanceCase> Discover(string dir, ConformanceRegistry registry, ManifestIndex manifests)
    {
        string root = System.IO.Path.GetFullPath(dir).TrimEnd(System.IO.Path.DirectorySeparatorChar);
        if (!Directory.Exists(root)) throw new ConformanceUsageException($"no such directory: {dir}");
        var files = CandidateFiles(root, manifests);
        var cases = new List<ConformanceCase>();
        string? parent = System.IO.Path.GetDirectoryName(root);
        if (files.Contains(Combine(root, "config.json")) && parent != null
            && File.Exists(Combine(parent, "golden.safetensors")))
        {
            // DIR is one checkpoint format of a model: just that case.
            string golden = Combine(parent, "golden.safetensors");
            var only = ModelCase(golden, System.IO.Path.GetFileName(root), files);
            cases.Add(only with { Problem = GoldenProblem(golden) });
            return cases;
        }
        foreach (string f in files)
        {
            string name = System.IO.Path.GetFileName(f);
            string fdir = System.IO.Path.GetDirectoryName(f)!;
            if (name == "tokenizer.json") cases.AddRange(TokenizerCases(fdir, files));
            else if (!name.EndsWith(".safetensors", StringComparison.Ordinal)) continue;
            else if (files.Contains(Combine(fdir, "config.json"))) continue; // a checkpoint's weights
            else if (name == "golden.safetensors")
            {
                string? problem = GoldenProblem(f);
                var formats = Formats(fdir, files).ToList();
                foreach (string format in formats)
                    cases.Add(ModelCase(f, format, files) with { Problem = problem });
                if (formats.Count == 0)
                {
                    string model = System.IO.Path.GetFileName(fdir);
                    cases.Add(new ConformanceCase($"model/{model}", CaseKind.Model, "model", model, f)
                    {
                        Files = [f],
                        Problem = problem ?? "no checkpoint directory (with a config.json) beside golden.safetensors",
                    });
                }
            }
            else cases.AddRange(OpCases(f, registry, manifests, files));
        }
        cases.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return cases;
    }

    /// <summary>Keeps the cases whose id matches any glob (all cases when there is none). <c>*</c> matches
    /// any run of characters, <c>/</c> and <c>#</c> included; <c>?</c> matches one character.</summary>
    public static List<ConformanceCase> Filter(IEnumerable<ConformanceCase> cases, IReadOnlyList<string> globs)
    {
        if (globs.Count == 0) return cases.ToList();
        var regexes = globs.Select(GlobToRegex).ToList();
        return cases.Where(c => regexes.Any(r => r.IsMatch(c.Id))).ToList();
    }

    /// <summary>The regex of a case-id glob (anchored at both ends).</summary>
    public static Regex GlobToRegex(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);

    private static SortedSet<string> CandidateFiles(string root, ManifestIndex manifests)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        foreach (string f in Directory.EnumerateFiles(root, "*", options))
        {
            string full = System.IO.Path.GetFullPath(f);
            var m = manifests.Governing(full);
            if (m is null || m.Lists(full)) files.Add(full);
        }
        foreach (string listed in manifests.ListedUnder(root)) files.Add(listed);
        return files;
    }

    private static IEnumerable<string> Formats(string modelDir, SortedSet<string> files) =>
        files.Where(f => System.IO.Path.GetFileName(f) == "config.json"
                         && System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(f)) == modelDir)
            .Select(f => System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(f)!));

    /// <summary>Why a model golden file cannot be read (null when it opens).</summary>
    private static string? GoldenProblem(string path)
    {
        if (!File.Exists(path)) return "golden.safetensors is missing";
        try
        {
            using var golden = GoldenCase.Open(path);
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException
                                  or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return e.Message;
        }
    }

    private static ConformanceCase ModelCase(string golden, string format, SortedSet<string> files)
    {
        string modelDir = System.IO.Path.GetDirectoryName(golden)!;
        string name = System.IO.Path.GetFileName(modelDir);
        var deps = new List<string> { golden };
        deps.AddRange(Under(files, Combine(modelDir, format)));
        return new ConformanceCase($"model/{name}@{format}", CaseKind.Model, "model", name, golden)
        {
            Format = format,
            Files = deps,
        };
    }

    private static IEnumerable<ConformanceCase> OpCases(string path, ConformanceRegistry registry,
        ManifestIndex manifests, SortedSet<string> files)
    {
        string family = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path)!);
        string @case = System.IO.Path.GetFileNameWithoutExtension(path);
        var deps = new List<string> { path };
        string? problem = null;
        if (!File.Exists(path)) problem = "file is missing";
        else
        {
            try
            {
                using var golden = GoldenCase.Open(path);
                family = golden.Family;
                @case = golden.Case;
                if (golden.Metadata.TryGetValue("checkpoint", out var ckpt) && manifests.Governing(path) is { } m)
                    deps.AddRange(Under(files, System.IO.Path.GetFullPath(Combine(m.Root, ckpt))));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or JsonException
                                      or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                problem = e.Message;
            }
        }
        string id = $"{family}/{@case}";
        var algorithms = problem is null && registry.Families.TryGetValue(family, out var fam) ? fam.Algorithms : [];
        if (algorithms.Count == 0)
        {
            yield return new ConformanceCase(id, CaseKind.Op, family, @case, path) { Files = deps, Problem = problem };
            yield break;
        }
        foreach (string alg in algorithms)
            yield return new ConformanceCase($"{id}#{alg}", CaseKind.Op, family, @case, path)
            {
                Algorithm = alg,
                Files = deps,
            };
    }

    private static IEnumerable<ConformanceCase> TokenizerCases(string tokDir, SortedSet<string> files)
    {
        string name = System.IO.Path.GetFileName(tokDir);
        string tokenizer = Combine(tokDir, "tokenizer.json");
        foreach (var (fileName, decode) in new[] { ("cases.json", false), ("decode_cases.json", true) })
        {
            string casesPath = Combine(tokDir, fileName);
            if (!files.Contains(casesPath)) continue;
            var deps = new List<string> { tokenizer, casesPath };
            List<JsonElement>? entries = null;
            string? problem = null;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(casesPath));
                entries = doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
            {
                problem = $"{fileName}: {e.Message}";
            }
            if (entries is null)
            {
                yield return new ConformanceCase($"tokenizer/{name}/{fileName}", CaseKind.Tokenizer, "tokenizer",
                    $"{name}/{fileName}", tokenizer) { Files = deps, Problem = problem, Decode = decode };
                continue;
            }
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                string caseName = e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out var n)
                                  && n.ValueKind == JsonValueKind.String ? n.GetString()! : $"{fileName}[{i}]";
                yield return new ConformanceCase($"tokenizer/{name}/{caseName}", CaseKind.Tokenizer, "tokenizer",
                    $"{name}/{caseName}", tokenizer) { Files = deps, Entry = e, Decode = decode };
            }
        }
    }

    private static IEnumerable<string> Under(SortedSet<string> files, string dir)
    {
        string prefix = dir.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        return files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal));
    }

    private static string Combine(string a, string b) => System.IO.Path.Combine(a, b);
}
