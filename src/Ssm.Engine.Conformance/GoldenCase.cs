using System.Text.Json;
using Ssm.Engine.IO;

namespace Ssm.Engine.Conformance;

/// <summary>One golden op case: a safetensors file in the <c>mamba-oracle-1</c> format with
/// <c>in.*</c> inputs, <c>out.*</c> expected outputs, <c>grad_in.*</c> cotangents and <c>grad.*</c>
/// expected gradients (see the golden set's FORMAT.md). Tensors are read lazily.</summary>
public sealed class GoldenCase : IDisposable
{
    private readonly SafetensorsFile _file;
    private readonly JsonDocument _params;

    /// <summary>Family name (<c>selective_scan</c>, <c>ssd</c>, ...).</summary>
    public string Family { get; }

    /// <summary>Case name (the file stem).</summary>
    public string Case { get; }

    /// <summary>The file path.</summary>
    public string Path => _file.Path;

    /// <summary>The parsed <c>params</c> metadata (an empty object when absent).</summary>
    public JsonElement Params => _params.RootElement;

    /// <summary>Tolerance for <c>out.*</c> tensors.</summary>
    public Tolerance OutTolerance { get; }

    /// <summary>Tolerance for <c>grad.*</c> tensors.</summary>
    public Tolerance GradTolerance { get; }

    /// <summary>All metadata strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    /// <summary>The underlying file (for integer tensors and raw access).</summary>
    public SafetensorsFile File => _file;

    private GoldenCase(SafetensorsFile file, string family, string @case, JsonDocument prms, Tolerance outTol,
        Tolerance gradTol)
    {
        _file = file;
        Family = family;
        Case = @case;
        _params = prms;
        OutTolerance = outTol;
        GradTolerance = gradTol;
    }

    /// <summary>Opens a golden file; throws <see cref="SafetensorsException"/> or <see cref="InvalidDataException"/>
    /// with the file named when it is malformed.</summary>
    public static GoldenCase Open(string path)
    {
        var file = SafetensorsFile.Open(path);
        try
        {
            var md = file.Metadata;
            string family = md.TryGetValue("family", out var f)
                ? f
                : throw new InvalidDataException($"{path}: metadata has no 'family'");
            string @case = md.TryGetValue("case", out var c) ? c : System.IO.Path.GetFileNameWithoutExtension(path);
            var prms = JsonDocument.Parse(md.TryGetValue("params", out var p) ? p : "{}");
            Tolerance outTol = new(1e-5, 1e-4), gradTol = new(1e-5, 2e-4);
            if (md.TryGetValue("tolerance", out var t))
            {
                using var tol = JsonDocument.Parse(t);
                outTol = ReadTol(tol.RootElement, "out", outTol);
                gradTol = ReadTol(tol.RootElement, "grad", gradTol);
            }
            return new GoldenCase(file, family, @case, prms, outTol, gradTol);
        }
        catch (JsonException e)
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: invalid JSON in metadata: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Tolerance ReadTol(JsonElement root, string key, Tolerance fallback) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var o)
                                                && o.ValueKind == JsonValueKind.Object
            ? new Tolerance(o.GetProperty("atol").GetDouble(), o.GetProperty("rtol").GetDouble())
            : fallback;

    /// <summary>True when the file holds the tensor (full name, e.g. <c>in.z</c>).</summary>
    public bool Has(string name) => _file.Contains(name);

    /// <summary>Reads a tensor as float32 (full name, e.g. <c>in.u</c>).</summary>
    public HostArray Get(string name)
    {
        var e = _file.GetEntry(name);
        return new HostArray(e.Shape, _file.ReadFloat32(name));
    }

    /// <summary>Reads a tensor if present.</summary>
    public HostArray? TryGet(string name) => Has(name) ? Get(name) : null;

    /// <summary>Names of all tensors in the file.</summary>
    public IEnumerable<string> TensorNames => _file.Entries.Select(e => e.Name);

    /// <summary>A boolean parameter (false when absent or null).</summary>
    public bool Flag(string key) =>
        Params.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>An integer parameter, or <paramref name="fallback"/> when absent or null.</summary>
    public int Int(string key, int fallback = 0) =>
        Params.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    /// <summary>A floating parameter, or <paramref name="fallback"/> when absent or null.</summary>
    public double Double(string key, double fallback = 0) =>
        Params.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    /// <summary>A string parameter, or null.</summary>
    public string? String(string key) =>
        Params.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        _params.Dispose();
        _file.Dispose();
    }
}
