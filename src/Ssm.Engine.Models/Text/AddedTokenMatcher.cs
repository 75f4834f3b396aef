using System.Text;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// Splits text on a set of added tokens, scanning left to right and taking the longest token that starts at each
/// position (leftmost-longest). <c>lstrip</c>/<c>rstrip</c> widen a match over the adjacent whitespace, which the
/// token then absorbs; <c>single_word</c> rejects a match that touches a word character.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, List<(string Content, AddedToken Token)>> _byFirstChar = new();

    /// <param name="tokens">The tokens to match.</param>
    /// <param name="contentOf">The string each token is matched as (its content, normalized where needed).</param>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens, Func<AddedToken, string> contentOf)
    {
        foreach (var t in tokens)
        {
            string content = contentOf(t);
            if (content.Length == 0) continue;
            if (!_byFirstChar.TryGetValue(content[0], out var list)) _byFirstChar[content[0]] = list = new();
            list.Add((content, t));
        }
        foreach (var list in _byFirstChar.Values) list.Sort((x, y) => y.Content.Length.CompareTo(x.Content.Length));
    }

    /// <summary>True when there is nothing to match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Splits <paramref name="text"/> into plain segments (Token = null) and added-token segments, in order.
    /// Empty plain segments are left out.
    /// </summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var parts = new List<(string, AddedToken?)>();
        if (IsEmpty)
        {
            if (text.Length > 0) parts.Add((text, null));
            return parts;
        }
        int plainStart = 0, i = 0;
        while (i < text.Length)
        {
            if (TryMatch(text, i, plainStart, out int start, out int end, out AddedToken? tok))
            {
                if (start > plainStart) parts.Add((text[plainStart..start], null));
                parts.Add((text[start..end], tok));
                plainStart = i = end;
            }
            else i++;
        }
        if (text.Length > plainStart) parts.Add((text[plainStart..], null));
        return parts;
    }

    private bool TryMatch(string text, int i, int floor, out int start, out int end, out AddedToken? token)
    {
        start = end = i;
        token = null;
        if (!_byFirstChar.TryGetValue(text[i], out var candidates)) return false;
        foreach (var (content, t) in candidates)
        {
            if (string.CompareOrdinal(text, i, content, 0, content.Length) != 0) continue;
            int s = i, e = i + content.Length;
            if (t.SingleWord && (IsWordBefore(text, s) || IsWordAfter(text, e))) continue;
            if (t.LStrip) while (s > floor && char.IsWhiteSpace(text[s - 1])) s--;
            if (t.RStrip) while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
            (start, end, token) = (s, e, t);
            return true;
        }
        return false;
    }

    private static bool IsWordBefore(string text, int pos) =>
        pos > 0 && Rune.TryGetRuneAt(text, char.IsLowSurrogate(text[pos - 1]) && pos > 1 ? pos - 2 : pos - 1,
            out Rune r) && IsWord(r);

    private static bool IsWordAfter(string text, int pos) =>
        pos < text.Length && Rune.TryGetRuneAt(text, pos, out Rune r) && IsWord(r);

    private static bool IsWord(Rune r) => Rune.IsLetterOrDigit(r) || r.Value == '_';
}
