using System.Collections.Concurrent;
using System.Text.Json;
using Ssm.Engine.Models.Text;

namespace Ssm.Engine.Conformance.Tokenizers;

/// <summary>Runs tokenizer fixtures through <see cref="BpeTokenizer"/>: each <c>cases.json</c> entry is
/// encoded and decoded, each <c>decode_cases.json</c> entry decoded, and compared exactly. A passing case
/// reports the tensor <c>ids</c> (or <c>text</c>) with zero error; a mismatch is a failure naming the
/// first difference. Tokenizers are loaded once per file.</summary>
public sealed class BpeTokenizerConformance : ITokenizerConformance
{
    private static readonly ConcurrentDictionary<string, Lazy<BpeTokenizer>> Cache = new();

    private static BpeTokenizer Load(string path) =>
        Cache.GetOrAdd(Path.GetFullPath(path), p => new Lazy<BpeTokenizer>(() => BpeTokenizer.FromFile(p))).Value;

    /// <inheritdoc/>
    public CaseOutcome RunEncodeCase(string tokenizerJsonPath, JsonElement caseEntry) =>
        ToOutcome(TokenizerConformance.RunEncodeCase(Load(tokenizerJsonPath), caseEntry), "ids");

    /// <inheritdoc/>
    public CaseOutcome RunDecodeCase(string tokenizerJsonPath, JsonElement caseEntry) =>
        ToOutcome(TokenizerConformance.RunDecodeCase(Load(tokenizerJsonPath), caseEntry), "text");

    private static CaseOutcome ToOutcome((bool Passed, string Detail) r, string what) =>
        r.Passed ? CaseOutcome.FromTensors([new TensorResult(what, 0, 0)]) : CaseOutcome.Error(r.Detail);
}
