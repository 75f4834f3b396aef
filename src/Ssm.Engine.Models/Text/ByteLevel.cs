namespace Ssm.Engine.Models.Text;

/// <summary>
/// GPT-2 <c>bytes_to_unicode</c>: each byte is shown as one printable character. Bytes 0x21-0x7E, 0xA1-0xAC and
/// 0xAE-0xFF map to the code point of the same value; the other 68 bytes, in increasing order, map to U+0100 onward
/// (so 0x20 is U+0120 'Ġ' and 0x0A is U+010A 'Ċ'). Every mapped character is in the BMP.
/// </summary>
public static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>The byte-level character of byte <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte shown by <paramref name="c"/>; -1 when <paramref name="c"/> is not in the alphabet.</summary>
    public static int ToByte(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    /// <summary>Maps UTF-8 bytes to their byte-level string.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = ByteToChar[src[i]];
        });
    }

    /// <summary>
    /// Appends the bytes a token stands for: when every character is in the byte-level alphabet, the bytes they map
    /// back to; otherwise the token's own UTF-8 (this is how added tokens such as plain-space runs decode).
    /// </summary>
    public static void AppendTokenBytes(string token, List<byte> dst)
    {
        foreach (char c in token)
        {
            if (ToByte(c) < 0)
            {
                dst.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (char c in token) dst.Add((byte)ToByte(c));
    }

    /// <summary>
    /// The readable form of a token: its bytes decoded as UTF-8 when they are valid UTF-8; otherwise the raw
    /// token string (for example a lone lead byte of a multi-byte character).
    /// </summary>
    public static string Readable(string token)
    {
        var bytes = new List<byte>(token.Length);
        AppendTokenBytes(token, bytes);
        try { return new System.Text.UTF8Encoding(false, true).GetString(bytes.ToArray()); }
        catch (System.Text.DecoderFallbackException) { return token; }
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(0x100 + next++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inv = new short[0x100 + 68];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }
}
