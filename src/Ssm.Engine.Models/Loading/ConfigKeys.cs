using System.Text.Json;

namespace Ssm.Engine.Models.Loading;

/// <summary>Walks one JSON object of a config: typed reads mark keys as known, <see cref="Finish"/> turns the
/// keys nobody read into warnings (or accepted metadata).</summary>
internal sealed class ConfigKeys(JsonElement obj, string scope, List<string> warnings)
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;
    private readonly HashSet<string> _seen = [];

    public bool Has(string key) => obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Raw(string key)
    {
        _seen.Add(key);
        return obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    public int Int(string key, int fallback)
    {
        var v = Raw(key);
        if (v is null) return fallback;
        if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt32(out int i))
            throw new ModelConfigReadException($"{Name(key)}: expected an integer, found {v.Value}");
        return i;
    }

    public int? IntOrNull(string key) => Raw(key) is null ? null : Int(key, 0);

    public double Double(string key, double fallback) =>
        Raw(key) is { } v ? LenientJson.Number(v, Name(key)) : fallback;

    public bool Bool(string key, bool fallback)
    {
        var v = Raw(key);
        if (v is null) return fallback;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelConfigReadException($"{Name(key)}: expected true or false, found {v.Value}"),
        };
    }

    public string? String(string key) => Raw(key) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    /// <summary>A key that changes the computation but is only supported at <paramref name="supported"/>.
    /// </summary>
    public void Require<T>(string key, T actual, T supported, string why)
    {
        if (!EqualityComparer<T>.Default.Equals(actual, supported))
            throw new ModelConfigReadException($"{Name(key)} = {actual} is not supported ({why})");
    }

    /// <summary>Keys that do not affect inference (metadata, initialisation, training options).</summary>
    public void Accept(params string[] keys)
    {
        foreach (var k in keys) _seen.Add(k);
    }

    public ConfigKeys Child(string key)
    {
        var v = Raw(key);
        var e = v is { ValueKind: JsonValueKind.Object } o ? o : EmptyObject;
        return new ConfigKeys(e, Name(key), warnings);
    }

    public string Name(string key) => scope.Length == 0 ? key : scope + "." + key;

    public void Finish()
    {
        if (obj.ValueKind != JsonValueKind.Object) return;
        foreach (var p in obj.EnumerateObject())
            if (!_seen.Contains(p.Name)) warnings.Add($"unknown config key {Name(p.Name)} ignored");
    }
}
