using System.Globalization;
using System.Text;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// The GPT-2 pre-tokenizer <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// as a hand-written scanner over code points (a .NET <c>Regex</c> works on UTF-16 units, so a supplementary-plane
/// letter or digit would not be <c>\p{L}</c>/<c>\p{N}</c>). Alternatives are tried in order; the first that matches
/// at a position wins. <c>\s</c> is Unicode White_Space, as in Oniguruma.
/// </summary>
public static class PreTokenizer
{
    private enum Kind : byte { Letter, Number, Space, Other }

    /// <summary>Splits <paramref name="codePoints"/> into pre-tokens: (start, length) in code points.</summary>
    public static List<(int Start, int Length)> Split(ReadOnlySpan<int> codePoints)
    {
        var result = new List<(int, int)>();
        int n = codePoints.Length, i = 0;
        while (i < n)
        {
            int len = MatchAt(codePoints, i);
            result.Add((i, len));
            i += len;
        }
        return result;
    }

    /// <summary>Splits a string, returning the pre-tokens as strings.</summary>
    public static List<string> Split(string text)
    {
        int[] cps = ToCodePoints(text);
        var parts = new List<string>();
        foreach (var (s, l) in Split(cps)) parts.Add(FromCodePoints(cps.AsSpan(s, l)));
        return parts;
    }

    private static int MatchAt(ReadOnlySpan<int> cp, int i)
    {
        int n = cp.Length;
        // 's 't 're 've 'm 'll 'd (lower case only)
        if (cp[i] == '\'' && i + 1 < n)
        {
            int c = cp[i + 1];
            if (c is 's' or 't' or 'm' or 'd') return 2;
            if (i + 2 < n && ((c == 'r' && cp[i + 2] == 'e') || (c == 'v' && cp[i + 2] == 'e')
                              || (c == 'l' && cp[i + 2] == 'l'))) return 3;
        }
        // ' ?' is U+0020 only
        int j = cp[i] == ' ' && i + 1 < n ? i + 1 : i;
        Kind k = Classify(cp[j]);
        if (k != Kind.Space && (j > i || cp[i] != ' '))
        {
            int e = j + 1;
            while (e < n && Classify(cp[e]) == k) e++;
            return e - i;
        }
        if (Classify(cp[i]) == Kind.Space)
        {
            int e = i + 1;
            while (e < n && Classify(cp[e]) == Kind.Space) e++;
            // \s+(?!\S): at the end of text the whole run; before a non-space, the run minus its last character.
            if (e == n) return e - i;
            return e - 1 > i ? e - 1 - i : 1;
        }
        return 1; // unreachable: every code point is a letter, number, space or other
    }

    private static Kind Classify(int cp)
    {
        if (IsWhiteSpace(cp)) return Kind.Space;
        switch (CharUnicodeInfo.GetUnicodeCategory(cp))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return Kind.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return Kind.Number;
            default:
                return Kind.Other;
        }
    }

    /// <summary>Unicode White_Space (not U+FEFF, U+200B, U+180E or U+001C..U+001F).</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>Code points of <paramref name="text"/>; a lone surrogate becomes U+FFFD.</summary>
    public static int[] ToCodePoints(string text)
    {
        var cps = new List<int>(text.Length);
        foreach (Rune r in text.EnumerateRunes()) cps.Add(r.Value);
        return cps.ToArray();
    }

    /// <summary>The string of <paramref name="codePoints"/>.</summary>
    public static string FromCodePoints(ReadOnlySpan<int> codePoints)
    {
        var sb = new StringBuilder(codePoints.Length);
        foreach (int c in codePoints) sb.Append(new Rune(c).ToString());
        return sb.ToString();
    }
}
