namespace Ssm.Engine.Models.Loading;

/// <summary>A checkpoint whose tensors do not fit the configured model: every missing, unexpected and
/// mis-shaped tensor is listed.</summary>
public sealed class CheckpointException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
    IReadOnlyList<string> shapeMismatches) : Exception(Format(source, missing, unexpected, shapeMismatches))
{
    /// <summary>Tensors the model needs that the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;
    /// <summary>Tensors in the checkpoint that the model does not use.</summary>
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    /// <summary>"tensor: expected [..], found [..]" lines.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; } = shapeMismatches;

    private static string Format(string source, IReadOnlyList<string> m, IReadOnlyList<string> u,
        IReadOnlyList<string> s)
    {
        var parts = new List<string>();
        if (m.Count > 0) parts.Add($"missing tensors: {string.Join(", ", m)}");
        if (u.Count > 0) parts.Add($"unexpected tensors: {string.Join(", ", u)}");
        if (s.Count > 0) parts.Add($"shape mismatches: {string.Join("; ", s)}");
        return $"[checkpoint] {source}: {string.Join(". ", parts)}";
    }
}
