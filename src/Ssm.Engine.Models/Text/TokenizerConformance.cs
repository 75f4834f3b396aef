using System.Text.Json;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// Checks a tokenizer against the golden case files <c>tokenizers/&lt;name&gt;/cases.json</c> (encode) and
/// <c>decode_cases.json</c>. Acceptance is exact equality of ids, token strings and decoded text.
/// </summary>
public static class TokenizerConformance
{
    /// <summary>The case-entry field names of the golden files, in one place.</summary>
    public static class Fields
    {
        /// <summary>Unique case name (both files).</summary>
        public const string Name = "name";
        /// <summary>Encode input (cases.json) or expected decode (decode_cases.json).</summary>
        public const string Text = "text";
        /// <summary>Expected ids (cases.json) or ids to decode (decode_cases.json).</summary>
        public const string Ids = "ids";
        /// <summary>Expected token strings of <see cref="Ids"/>.</summary>
        public const string Tokens = "tokens";
        /// <summary>Expected decode with skip_special_tokens = false.</summary>
        public const string Decoded = "decoded";
        /// <summary>Expected decode with skip_special_tokens = true.</summary>
        public const string DecodedSkipSpecial = "decoded_skip_special";
        /// <summary>Whether <see cref="Decoded"/> equals <see cref="Text"/>.</summary>
        public const string Roundtrip = "roundtrip";
        /// <summary>Decode option of a decode case.</summary>
        public const string SkipSpecialTokens = "skip_special_tokens";
        /// <summary>Optional encode option; absent means true (the reference files are made with true).</summary>
        public const string AddSpecialTokens = "add_special_tokens";
    }

    /// <summary>Runs one <c>cases.json</c> entry: encode ids, token strings, both decodes, roundtrip flag.</summary>
    public static (bool Passed, string Detail) RunEncodeCase(BpeTokenizer tok, JsonElement caseEntry)
    {
        ArgumentNullException.ThrowIfNull(tok);
        string name = Str(caseEntry, Fields.Name);
        string text = Str(caseEntry, Fields.Text);
        bool addSpecial = !caseEntry.TryGetProperty(Fields.AddSpecialTokens, out var a) || a.GetBoolean();
        int[] expected = Ints(caseEntry, Fields.Ids);
        int[] got = tok.Encode(text, addSpecial);
        string? diff = CompareIds(expected, got);
        if (diff is not null) return (false, $"{name}: ids {diff}");

        var tokens = caseEntry.GetProperty(Fields.Tokens).EnumerateArray().Select(e => e.GetString()).ToArray();
        for (int i = 0; i < Math.Max(tokens.Length, got.Length); i++)
        {
            string? want = i < tokens.Length ? tokens[i] : null;
            string? have = i < got.Length ? tok.IdToToken(got[i]) : null;
            if (want != have)
                return (false, $"{name}: tokens differ at position {i}: expected {Show(want)}, got {Show(have)}");
        }
        string? d = CompareText(Str(caseEntry, Fields.Decoded), tok.Decode(got, false));
        if (d is not null) return (false, $"{name}: decoded {d}");
        d = CompareText(Str(caseEntry, Fields.DecodedSkipSpecial), tok.Decode(got, true));
        if (d is not null) return (false, $"{name}: decoded_skip_special {d}");
        if (caseEntry.TryGetProperty(Fields.Roundtrip, out var rt)
            && rt.GetBoolean() != (tok.Decode(got, false) == text))
            return (false, $"{name}: roundtrip flag is {rt.GetBoolean()} but decode(encode(text)) == text is not");
        return (true, $"{name}: ok ({got.Length} ids)");
    }

    /// <summary>Runs one <c>decode_cases.json</c> entry.</summary>
    public static (bool Passed, string Detail) RunDecodeCase(BpeTokenizer tok, JsonElement caseEntry)
    {
        ArgumentNullException.ThrowIfNull(tok);
        string name = Str(caseEntry, Fields.Name);
        int[] ids = Ints(caseEntry, Fields.Ids);
        bool skip = caseEntry.TryGetProperty(Fields.SkipSpecialTokens, out var s) && s.GetBoolean();
        string? d = CompareText(Str(caseEntry, Fields.Text), tok.Decode(ids, skip));
        return d is null ? (true, $"{name}: ok") : (false, $"{name}: text {d}");
    }

    private static string? CompareIds(int[] expected, int[] got)
    {
        int n = Math.Min(expected.Length, got.Length);
        for (int i = 0; i < n; i++)
        {
            if (expected[i] != got[i])
                return $"differ at position {i}: expected {expected[i]}, got {got[i]} " +
                       $"(expected [{Window(expected, i)}], got [{Window(got, i)}])";
        }
        if (expected.Length != got.Length)
            return $"length differs: expected {expected.Length}, got {got.Length}; first extra at position {n}: " +
                   (expected.Length > n ? $"expected {expected[n]}" : $"got {got[n]}");
        return null;
    }

    private static string? CompareText(string expected, string got)
    {
        if (expected == got) return null;
        var e = PreTokenizer.ToCodePoints(expected);
        var g = PreTokenizer.ToCodePoints(got);
        int i = 0;
        while (i < e.Length && i < g.Length && e[i] == g[i]) i++;
        string ec = i < e.Length ? $"U+{e[i]:X4}" : "end of text";
        string gc = i < g.Length ? $"U+{g[i]:X4}" : "end of text";
        return $"differs at code point {i}: expected {ec}, got {gc} (expected {Show(expected)}, got {Show(got)})";
    }

    private static string Window(int[] a, int i) =>
        string.Join(",", a.Skip(Math.Max(0, i - 2)).Take(6));

    private static string Show(string? s)
    {
        if (s is null) return "(none)";
        string t = s.Length > 80 ? s[..80] + "..." : s;
        return JsonSerializer.Serialize(t);
    }

    private static string Str(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"[tokenizer-conformance] case entry has no string '{key}'");

    private static int[] Ints(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : throw new InvalidDataException($"[tokenizer-conformance] case entry has no array '{key}'");
}
