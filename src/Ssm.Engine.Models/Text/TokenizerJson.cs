using System.Text.Json;

namespace Ssm.Engine.Models.Text;

/// <summary>An entry of <c>added_tokens</c> in a HuggingFace <c>tokenizer.json</c>.</summary>
/// <param name="Id">Token id.</param>
/// <param name="Content">Literal text of the token.</param>
/// <param name="Special">Special tokens are dropped by <c>Decode(..., skipSpecialTokens: true)</c>.</param>
/// <param name="SingleWord">Match only when not touching a word character on either side.</param>
/// <param name="LStrip">The match also takes the whitespace on its left.</param>
/// <param name="RStrip">The match also takes the whitespace on its right.</param>
/// <param name="Normalized">Matched on the normalized text (true) or on the raw text (false).</param>
public sealed record AddedToken(
    int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>Thrown when a <c>tokenizer.json</c> is malformed or uses a feature this engine does not support.</summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the exception; the message already names the file and the JSON key.</summary>
    public TokenizerFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The parts of a byte-level BPE <c>tokenizer.json</c> the engine uses.</summary>
internal sealed class TokenizerJson
{
    public required Dictionary<string, int> Vocab { get; init; }
    public required List<(string Left, string Right)> Merges { get; init; }
    public required List<AddedToken> AddedTokens { get; init; }
    /// <summary>True when the normalizer is NFC; false when there is none.</summary>
    public required bool NfcNormalizer { get; init; }
    public required bool AddPrefixSpace { get; init; }

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static TokenizerJson Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException($"[tokenizer] {path}: cannot read file: {e.Message}", e);
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw Error(path, "(root)", $"not valid JSON: {e.Message}", e); }
        using (doc) return Parse(path, doc.RootElement);
    }

    internal static TokenizerJson Parse(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Error(path, "(root)", "expected a JSON object");
        var model = Require(path, root, "model", JsonValueKind.Object, "model");
        string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()! : "BPE";
        if (type != "BPE") throw Error(path, "model.type", $"unsupported model type '{type}' (only BPE is)");
        RejectNonNull(path, model, "dropout", "model.dropout");
        if (model.TryGetProperty("continuing_subword_prefix", out var csp) && csp.ValueKind == JsonValueKind.String
            && csp.GetString()!.Length > 0)
            throw Error(path, "model.continuing_subword_prefix", "a continuing-subword prefix is not supported");
        if (model.TryGetProperty("end_of_word_suffix", out var eow) && eow.ValueKind == JsonValueKind.String
            && eow.GetString()!.Length > 0)
            throw Error(path, "model.end_of_word_suffix", "an end-of-word suffix is not supported");

        var vocabEl = Require(path, model, "vocab", JsonValueKind.Object, "model.vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw Error(path, "model.vocab", $"entry '{p.Name}' must map to a non-negative integer id");
            vocab[p.Name] = id;
        }

        var mergesEl = Require(path, model, "merges", JsonValueKind.Array, "model.merges");
        var merges = new List<(string, string)>(mergesEl.GetArrayLength());
        int index = 0;
        foreach (var m in mergesEl.EnumerateArray())
        {
            merges.Add(ParseMerge(path, m, index));
            index++;
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedEl) && addedEl.ValueKind != JsonValueKind.Null)
        {
            if (addedEl.ValueKind != JsonValueKind.Array) throw Error(path, "added_tokens", "expected an array");
            int i = 0;
            foreach (var a in addedEl.EnumerateArray()) added.Add(ParseAdded(path, a, i++));
        }

        bool nfc = ParseNormalizer(path, root);
        bool prefix = ParsePreTokenizer(path, root);
        ParseDecoder(path, root);
        return new TokenizerJson
        {
            Vocab = vocab, Merges = merges, AddedTokens = added, NfcNormalizer = nfc, AddPrefixSpace = prefix,
        };
    }

    private static (string, string) ParseMerge(string path, JsonElement m, int index)
    {
        string key = $"model.merges[{index}]";
        if (m.ValueKind == JsonValueKind.String)
        {
            // Legacy serialisation: "left right" (byte-level tokens never contain U+0020).
            string[] parts = m.GetString()!.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw Error(path, key, $"merge \"{m.GetString()}\" must be two tokens separated by one space");
            return (parts[0], parts[1]);
        }
        if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
            && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
            return (m[0].GetString()!, m[1].GetString()!);
        throw Error(path, key, "a merge must be a string \"a b\" or a pair [\"a\", \"b\"]");
    }

    private static AddedToken ParseAdded(string path, JsonElement a, int i)
    {
        string key = $"added_tokens[{i}]";
        if (a.ValueKind != JsonValueKind.Object) throw Error(path, key, "expected an object");
        var idEl = Require(path, a, "id", JsonValueKind.Number, key + ".id");
        if (!idEl.TryGetInt32(out int id) || id < 0) throw Error(path, key + ".id", "must be a non-negative integer");
        string content = Require(path, a, "content", JsonValueKind.String, key + ".content").GetString()!;
        if (content.Length == 0) throw Error(path, key + ".content", "must not be empty");
        bool special = Flag(path, a, "special", key, false);
        return new AddedToken(id, content, special,
            Flag(path, a, "single_word", key, false), Flag(path, a, "lstrip", key, false),
            Flag(path, a, "rstrip", key, false), Flag(path, a, "normalized", key, !special));
    }

    private static bool ParseNormalizer(string path, JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind == JsonValueKind.Null) return false;
        string type = TypeOf(path, n, "normalizer");
        if (type == "NFC") return true;
        if (type == "Sequence" && n.TryGetProperty("normalizers", out var seq) && seq.ValueKind == JsonValueKind.Array)
        {
            bool nfc = false;
            int i = 0;
            foreach (var s in seq.EnumerateArray())
            {
                string st = TypeOf(path, s, $"normalizer.normalizers[{i++}]");
                if (st != "NFC") throw Error(path, "normalizer", $"unsupported normalizer '{st}' (only NFC is)");
                nfc = true;
            }
            return nfc;
        }
        throw Error(path, "normalizer.type", $"unsupported normalizer '{type}' (only NFC is)");
    }

    private static bool ParsePreTokenizer(string path, JsonElement root)
    {
        var p = Require(path, root, "pre_tokenizer", JsonValueKind.Object, "pre_tokenizer");
        string type = TypeOf(path, p, "pre_tokenizer");
        if (type != "ByteLevel")
            throw Error(path, "pre_tokenizer.type", $"unsupported pre-tokenizer '{type}' (only ByteLevel is)");
        if (p.TryGetProperty("use_regex", out var r) && r.ValueKind == JsonValueKind.False)
            throw Error(path, "pre_tokenizer.use_regex", "use_regex = false is not supported");
        return Flag(path, p, "add_prefix_space", "pre_tokenizer", false);
    }

    private static void ParseDecoder(string path, JsonElement root)
    {
        if (!root.TryGetProperty("decoder", out var d) || d.ValueKind == JsonValueKind.Null)
            throw Error(path, "decoder", "missing; a ByteLevel decoder is required");
        string type = TypeOf(path, d, "decoder");
        if (type != "ByteLevel") throw Error(path, "decoder.type", $"unsupported decoder '{type}' (only ByteLevel is)");
        if (root.TryGetProperty("post_processor", out var pp) && pp.ValueKind != JsonValueKind.Null)
        {
            string ppType = TypeOf(path, pp, "post_processor");
            if (ppType != "ByteLevel")
                throw Error(path, "post_processor.type", $"unsupported post-processor '{ppType}' (only ByteLevel is)");
        }
    }

    private static string TypeOf(string path, JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Error(path, key, "expected an object");
        return Require(path, e, "type", JsonValueKind.String, key + ".type").GetString()!;
    }

    private static JsonElement Require(string path, JsonElement parent, string name, JsonValueKind kind, string key)
    {
        if (!parent.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw Error(path, key, "missing");
        if (v.ValueKind != kind) throw Error(path, key, $"expected {kind}, found {v.ValueKind}");
        return v;
    }

    private static bool Flag(string path, JsonElement parent, string name, string key, bool fallback)
    {
        if (!parent.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(path, $"{key}.{name}", $"expected a boolean, found {v.ValueKind}"),
        };
    }

    private static void RejectNonNull(string path, JsonElement parent, string name, string key)
    {
        if (parent.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
            throw Error(path, key, "BPE dropout is not supported");
    }

    private static TokenizerFormatException Error(string path, string key, string what, Exception? inner = null) =>
        new($"[tokenizer] {path}: key '{key}': {what}", inner);
}
