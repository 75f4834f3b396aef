using System.Text.Json;

namespace Ssm.Engine.Conformance;

/// <summary>Runs the tokenizer fixtures (<c>tokenizers/&lt;name&gt;/{tokenizer.json, cases.json,
/// decode_cases.json}</c>). Discovered by reflection (public, parameterless constructor); while none
/// exists, tokenizer cases are skipped with the reason "tokenizer not implemented". Acceptance is exact
/// equality; a passing case reports e.g. <c>new TensorResult("ids", 0, 0)</c>.</summary>
public interface ITokenizerConformance
{
    /// <summary>One entry of <c>cases.json</c> (<c>name, text, ids, tokens, decoded,
    /// decoded_skip_special</c>): encode and decode, compare exactly.</summary>
    CaseOutcome RunEncodeCase(string tokenizerJsonPath, JsonElement caseEntry);

    /// <summary>One entry of <c>decode_cases.json</c> (<c>name, ids, skip_special_tokens, text</c>).</summary>
    CaseOutcome RunDecodeCase(string tokenizerJsonPath, JsonElement caseEntry);
}
