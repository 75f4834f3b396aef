using System.Text;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// Incremental decoding for streaming generation: feed ids as they are sampled and get text pieces whose
/// concatenation (after <see cref="Flush"/>) equals <see cref="BpeTokenizer.Decode"/> of all the ids. A trailing
/// incomplete UTF-8 sequence is held back until the bytes that complete it (or prove it invalid) arrive.
/// This is exact because a UTF-8 lead byte always starts a new sequence, so decoding splits cleanly before it.
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly BpeTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = new(8);

    /// <summary>Creates a decoder over <paramref name="tokenizer"/>.</summary>
    public TokenStreamDecoder(BpeTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text that is now complete (possibly empty).</summary>
    public string Push(int id)
    {
        _tokenizer.AppendBytes(id, _skipSpecialTokens, _pending);
        return TakeComplete();
    }

    /// <summary>Adds several ids; returns the text that is now complete (possibly empty).</summary>
    public string Push(ReadOnlySpan<int> ids)
    {
        foreach (int id in ids) _tokenizer.AppendBytes(id, _skipSpecialTokens, _pending);
        return TakeComplete();
    }

    /// <summary>Ends the stream: returns the held-back bytes decoded (an incomplete sequence becomes U+FFFD).</summary>
    public string Flush()
    {
        string s = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return s;
    }

    /// <summary>Number of bytes held back (0 to 3).</summary>
    public int PendingBytes => _pending.Count;

    private string TakeComplete()
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending);
        int keep = IncompleteTail(span);
        if (keep == span.Length) return "";
        string s = Encoding.UTF8.GetString(span[..^keep]);
        _pending.RemoveRange(0, _pending.Count - keep);
        return s;
    }

    /// <summary>Length of the trailing bytes that form a valid but incomplete UTF-8 sequence (0 if none).</summary>
    internal static int IncompleteTail(ReadOnlySpan<byte> b)
    {
        for (int back = 1; back <= 3 && back <= b.Length; back++)
        {
            byte lead = b[^back];
            if (lead < 0x80) return 0;
            if (lead < 0xC0) continue; // continuation byte: look further back for the lead
            int need = lead switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 0,
            };
            if (need <= back) return 0; // complete, or not a lead byte at all
            // Check the continuation bytes present are valid for this lead (first one has a narrowed range).
            for (int k = 1; k < back; k++)
            {
                byte c = b[^(back - k)];
                (int lo, int hi) = k == 1 ? SecondByteRange(lead) : (0x80, 0xBF);
                if (c < lo || c > hi) return 0;
            }
            return back;
        }
        return 0;
    }

    private static (int, int) SecondByteRange(byte lead) => lead switch
    {
        0xE0 => (0xA0, 0xBF),
        0xED => (0x80, 0x9F),
        0xF0 => (0x90, 0xBF),
        0xF4 => (0x80, 0x8F),
        _ => (0x80, 0xBF),
    };
}
