using System.Text.Json;

namespace Ssm.Engine.Conformance.Runner;

/// <summary>What a case checks.</summary>
public enum CaseKind
{
    /// <summary>An op golden file run through an <see cref="IOpFamily"/>.</summary>
    Op,
    /// <summary>A model golden file against one checkpoint format (<see cref="IModelConformance"/>).</summary>
    Model,
    /// <summary>One entry of a tokenizer fixture (<see cref="ITokenizerConformance"/>).</summary>
    Tokenizer,
}

/// <summary>One discovered case. <see cref="Id"/> is <c>&lt;family&gt;/&lt;case&gt;</c> (plus
/// <c>#algorithm</c>), <c>model/&lt;name&gt;@&lt;format&gt;</c> or
/// <c>tokenizer/&lt;name&gt;/&lt;case&gt;</c>.</summary>
public sealed record ConformanceCase(string Id, CaseKind Kind, string Family, string Case, string Path)
{
    /// <summary>Checkpoint format of a model case (<c>native</c>, <c>hf</c>, ...); null otherwise.</summary>
    public string? Format { get; init; }

    /// <summary>Algorithm of an op family with several (<see cref="IOpFamily.Algorithms"/>); null otherwise.</summary>
    public string? Algorithm { get; init; }

    /// <summary>Every file the case reads (checked against the governing MANIFEST.json before it runs).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>A problem found while discovering the case (malformed file, bad metadata); the case fails
    /// with it.</summary>
    public string? Problem { get; init; }

    /// <summary>The fixture entry of a tokenizer case.</summary>
    public JsonElement? Entry { get; init; }

    /// <summary>True for a <c>decode_cases.json</c> entry, false for a <c>cases.json</c> one.</summary>
    public bool Decode { get; init; }
}
