namespace Ssm.Engine.Testing;

/// <summary>Locates the golden reference set (<c>../shared/golden</c> beside the checkout).</summary>
public static class GoldenPaths
{
    /// <summary>The golden set root; walks up from the test binary until a <c>shared/golden</c> sibling is
    /// found.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        string? env = Environment.GetEnvironmentVariable("SSM_GOLDEN_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "golden");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "FORMAT.md"))) return candidate;
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException(
            "golden set not found: expected ../shared/golden beside the checkout (or set SSM_GOLDEN_DIR)");
    }

    /// <summary>All op case files of one family (<c>ops/&lt;family&gt;/*.safetensors</c>), sorted.</summary>
    public static IEnumerable<string> OpCases(string family) =>
        Directory.EnumerateFiles(Path.Combine(Root, "ops", family), "*.safetensors").Order(StringComparer.Ordinal);

    /// <summary>xunit MemberData rows of case file names for a family.</summary>
    public static IEnumerable<object[]> OpCaseData(string family) =>
        OpCases(family).Select(p => new object[] { Path.GetFileName(p) });

    /// <summary>Full path of a case given its family and file name.</summary>
    public static string OpCase(string family, string fileName) => Path.Combine(Root, "ops", family, fileName);
}
