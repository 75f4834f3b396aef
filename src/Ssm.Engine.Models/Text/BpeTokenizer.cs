using System.Text;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// A HuggingFace <c>tokenizer.json</c> byte-level BPE tokenizer (GPT-2, GPT-NeoX-20B / Mamba, Pythia), matching the
/// reference <c>tokenizers</c> library exactly. Encoding: split the raw text on the added tokens that are not
/// normalized; NFC-normalize each remaining piece (when the file has that normalizer); split again on the normalized
/// added tokens; pre-tokenize each piece with the GPT-2 pattern (<see cref="PreTokenizer"/>); map its UTF-8 bytes to
/// byte-level characters (<see cref="ByteLevel"/>) and run BPE. Decoding concatenates the bytes of every token and
/// decodes them as UTF-8, replacing each maximal invalid subsequence with one U+FFFD. Thread-safe after loading.
/// </summary>
public sealed class BpeTokenizer
{
    private readonly BpeModel _model;
    private readonly AddedTokenMatcher _rawAdded;
    private readonly AddedTokenMatcher _normalizedAdded;
    private readonly bool _nfc;
    private readonly bool _addPrefixSpace;
    private readonly string?[] _idToToken;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int> _addedByContent = new(StringComparer.Ordinal);

    private BpeTokenizer(string path, TokenizerJson json)
    {
        _vocab = json.Vocab;
        _nfc = json.NfcNormalizer;
        _addPrefixSpace = json.AddPrefixSpace;
        _model = new BpeModel(path, json.Vocab, json.Merges);
        AddedTokens = json.AddedTokens;
        int maxId = -1;
        foreach (int id in json.Vocab.Values) maxId = Math.Max(maxId, id);
        foreach (var t in json.AddedTokens) maxId = Math.Max(maxId, t.Id);
        _idToToken = new string?[maxId + 1];
        _isSpecial = new bool[maxId + 1];
        foreach (var (tok, id) in json.Vocab) _idToToken[id] = tok;
        foreach (var t in json.AddedTokens)
        {
            _idToToken[t.Id] = t.Content;
            _isSpecial[t.Id] = t.Special;
            _addedByContent[t.Content] = t.Id;
        }
        VocabSize = maxId + 1;
        _rawAdded = new AddedTokenMatcher(json.AddedTokens.Where(t => !t.Normalized), t => t.Content);
        _normalizedAdded = new AddedTokenMatcher(json.AddedTokens.Where(t => t.Normalized), t => Normalize(t.Content));
    }

    /// <summary>Loads a <c>tokenizer.json</c>.</summary>
    /// <exception cref="TokenizerFormatException">The file is unreadable, malformed or uses an unsupported feature;
    /// the message names the file and the JSON key.</exception>
    public static BpeTokenizer FromFile(string tokenizerJsonPath) =>
        new(tokenizerJsonPath, TokenizerJson.Load(tokenizerJsonPath));

    /// <summary>Highest token id plus one (model vocabulary and added tokens): 50,277 for gpt-neox-20b.</summary>
    public int VocabSize { get; }

    /// <summary>The added tokens, as the file lists them.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>The token string of <paramref name="id"/> (byte-level form for vocabulary tokens, literal content
    /// for added tokens), or null when the id maps to no token.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>The id of a token string (added tokens first, then the model vocabulary), or null.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out int a) ? a : _vocab.TryGetValue(token, out int v) ? v : null;

    /// <summary>True when <paramref name="id"/> is an added token marked <c>special</c>.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>Encodes <paramref name="text"/> to token ids.</summary>
    /// <param name="text">Any string; a lone surrogate is encoded as U+FFFD.</param>
    /// <param name="addSpecialTokens">Accepted for API parity: the supported (ByteLevel) post-processor adds no
    /// BOS/EOS, so the result is the same either way.</param>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        _ = addSpecialTokens;
        var ids = new List<int>(text.Length / 3 + 4);
        foreach (var (raw, rawToken) in _rawAdded.Split(text))
        {
            if (rawToken is not null)
            {
                ids.Add(rawToken.Id);
                continue;
            }
            foreach (var (piece, token) in _normalizedAdded.Split(Normalize(raw)))
            {
                if (token is not null) ids.Add(token.Id);
                else EncodePiece(piece, ids);
            }
        }
        return ids.ToArray();
    }

    /// <summary>The token strings of <paramref name="ids"/> (null entries for unknown ids).</summary>
    public string?[] IdsToTokens(ReadOnlySpan<int> ids)
    {
        var tokens = new string?[ids.Length];
        for (int i = 0; i < ids.Length; i++) tokens[i] = IdToToken(ids[i]);
        return tokens;
    }

    /// <summary>Decodes ids to text. Ids that map to no token are skipped; invalid UTF-8 becomes U+FFFD.</summary>
    /// <param name="ids">Token ids, decoded together (a character may span several tokens).</param>
    /// <param name="skipSpecialTokens">Drop added tokens marked <c>special</c> (e.g. <c>&lt;|endoftext|&gt;</c>).
    /// </param>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids) AppendBytes(id, skipSpecialTokens, bytes);
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>Appends the bytes of one token (nothing for an unknown id or a skipped special token).</summary>
    internal void AppendBytes(int id, bool skipSpecialTokens, List<byte> dst)
    {
        string? token = IdToToken(id);
        if (token is null || (skipSpecialTokens && _isSpecial[id])) return;
        ByteLevel.AppendTokenBytes(token, dst);
    }

    private string Normalize(string s) => _nfc ? Nfc.Normalize(s) : s;

    private void EncodePiece(string piece, List<int> ids)
    {
        if (piece.Length == 0) return;
        if (_addPrefixSpace && piece[0] != ' ') piece = " " + piece;
        int[] cps = PreTokenizer.ToCodePoints(piece);
        Span<byte> utf8 = stackalloc byte[4];
        char[] word = new char[64];
        foreach (var (start, length) in PreTokenizer.Split(cps))
        {
            if (word.Length < length * 4) word = new char[length * 4];
            int w = 0;
            for (int k = start; k < start + length; k++)
            {
                int n = new Rune(cps[k]).EncodeToUtf8(utf8);
                for (int b = 0; b < n; b++) word[w++] = ByteLevel.ToChar(utf8[b]);
            }
            _model.Encode(new string(word, 0, w), ids);
        }
    }
}
