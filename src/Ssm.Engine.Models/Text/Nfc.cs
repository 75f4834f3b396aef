using System.Buffers.Binary;

namespace Ssm.Engine.Models.Text;

/// <summary>
/// Unicode Normalization Form C in managed code. The engine runs with <c>InvariantGlobalization</c>, where
/// <c>string.Normalize</c> leaves non-ASCII text unchanged, so the canonical data travels with the assembly
/// (<c>Data/nfc.bin</c>, written by <c>Data/make-nfc-table.mjs</c> from the ICU in Node.js).
/// Algorithm: full canonical decomposition (Hangul algorithmically), canonical ordering of combining marks,
/// then canonical composition of unblocked pairs. Only characters assigned in the runtime's Unicode version
/// (<see cref="System.Globalization.CharUnicodeInfo"/>: 16.0 on .NET 10, the reference tokenizer's version) take
/// their table entries, so a newer table gives exactly that version's NFC: normalization data of an assigned
/// character never changes between Unicode versions. Checked equal to ICU's NFC on every code point and on 300,000
/// random sequences of decomposable characters and combining marks.
/// </summary>
public static class Nfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Tables Data = Tables.Load();

    /// <summary>The Unicode version the embedded tables were generated from (entries for characters the runtime
    /// does not know are ignored).</summary>
    public static string UnicodeVersion => Data.Version;

    /// <summary>NFC of <paramref name="text"/>; a lone surrogate becomes U+FFFD.</summary>
    public static string Normalize(string text)
    {
        if (IsNfcStable(text)) return text;
        int[] cps = PreTokenizer.ToCodePoints(text);
        return PreTokenizer.FromCodePoints(Normalize(cps));
    }

    /// <summary>
    /// Quick check: true when no code point of <paramref name="text"/> decomposes, has a non-zero combining class,
    /// can be the second half of a composition, or is Hangul; NFC then leaves the text unchanged.
    /// </summary>
    private static bool IsNfcStable(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x300) continue; // nothing below U+0300 decomposes, composes or reorders
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                if (Data.Unstable.Contains(char.ConvertToUtf32(c, text[++i]))) return false;
                continue;
            }
            if (Data.UnstableBmp[c]) return false;
        }
        return true;
    }

    /// <summary>NFC of a code-point sequence.</summary>
    public static int[] Normalize(ReadOnlySpan<int> codePoints)
    {
        var d = new List<int>(codePoints.Length + 8);
        foreach (int cp in codePoints) Decompose(cp, d);
        // Canonical ordering: stable insertion sort of each run of non-starters by combining class.
        for (int i = 1; i < d.Count; i++)
        {
            int cc = Ccc(d[i]);
            if (cc == 0) continue;
            int j = i;
            int cur = d[i];
            while (j > 0 && Ccc(d[j - 1]) > cc)
            {
                d[j] = d[j - 1];
                j--;
            }
            d[j] = cur;
        }
        return Compose(d);
    }

    private static int[] Compose(List<int> d)
    {
        var result = new List<int>(d.Count);
        int starter = -1, lastClass = 0;
        foreach (int c in d)
        {
            int cc = Ccc(c);
            if (starter >= 0 && (lastClass < cc || (lastClass == 0 && result.Count - 1 == starter)))
            {
                int composed = ComposePair(result[starter], c);
                if (composed >= 0)
                {
                    result[starter] = composed;
                    continue;
                }
            }
            if (cc == 0) starter = result.Count;
            lastClass = cc;
            result.Add(c);
        }
        return result.ToArray();
    }

    private static void Decompose(int cp, List<int> dst)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            dst.Add(LBase + s / NCount);
            dst.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) dst.Add(TBase + s % TCount);
            return;
        }
        if (Data.Decomp.TryGetValue(cp, out int[]? parts))
        {
            foreach (int p in parts) Decompose(p, dst);
            return;
        }
        dst.Add(cp);
    }

    private static int ComposePair(int a, int b)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
            return a + (b - TBase);
        return Data.Compose.TryGetValue(((long)a << 32) | (uint)b, out int c) ? c : -1;
    }

    private static int Ccc(int cp) => Data.Ccc.TryGetValue(cp, out byte c) ? c : 0;

    private sealed class Tables
    {
        public required string Version { get; init; }
        public required Dictionary<int, byte> Ccc { get; init; }
        public required Dictionary<int, int[]> Decomp { get; init; }
        public required Dictionary<long, int> Compose { get; init; }
        /// <summary>BMP code points the quick check cannot pass (see <see cref="IsNfcStable"/>).</summary>
        public required bool[] UnstableBmp { get; init; }
        /// <summary>Supplementary-plane code points the quick check cannot pass.</summary>
        public required HashSet<int> Unstable { get; init; }

        public static Tables Load()
        {
            using var s = typeof(Nfc).Assembly.GetManifestResourceStream("Ssm.Engine.Models.Text.nfc.bin")
                ?? throw new InvalidOperationException("[nfc] embedded resource nfc.bin is missing");
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            ReadOnlySpan<byte> b = ms.ToArray();
            if (!b[..4].SequenceEqual("NFC1"u8)) throw new InvalidDataException("[nfc] nfc.bin: bad magic");
            string version = System.Text.Encoding.ASCII.GetString(b.Slice(4, 8)).TrimEnd('\0');
            int pos = 12;
            int nCcc = ReadInt(b, ref pos);
            var ccc = new Dictionary<int, byte>(nCcc);
            for (int i = 0; i < nCcc; i++)
            {
                int cp = ReadInt(b, ref pos);
                byte c = b[pos++];
                if (Assigned(cp)) ccc[cp] = c;
            }
            int nDec = ReadInt(b, ref pos);
            var decomp = new Dictionary<int, int[]>(nDec);
            var compose = new Dictionary<long, int>(nDec);
            for (int i = 0; i < nDec; i++)
            {
                int cp = ReadInt(b, ref pos);
                bool composable = b[pos++] != 0;
                var parts = new int[b[pos++]];
                for (int k = 0; k < parts.Length; k++) parts[k] = ReadInt(b, ref pos);
                if (!Assigned(cp)) continue;
                decomp[cp] = parts;
                if (composable) compose[((long)parts[0] << 32) | (uint)parts[1]] = cp;
            }
            var unstable = new HashSet<int>(ccc.Keys);
            unstable.UnionWith(decomp.Keys);
            foreach (long pair in compose.Keys) unstable.Add((int)(pair & 0xFFFFFFFF));
            for (int h = LBase; h < 0x1200; h++) unstable.Add(h);           // conjoining jamo
            for (int h = SBase; h < SBase + SCount; h++) unstable.Add(h);   // syllables (LV + T composes)
            var bmp = new bool[0x10000];
            foreach (int cp in unstable)
            {
                if (cp < 0x10000) bmp[cp] = true;
            }
            unstable.RemoveWhere(cp => cp < 0x10000);
            return new Tables
            {
                Version = version, Ccc = ccc, Decomp = decomp, Compose = compose,
                UnstableBmp = bmp, Unstable = unstable,
            };
        }

        private static bool Assigned(int cp) =>
            System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp)
            != System.Globalization.UnicodeCategory.OtherNotAssigned;

        private static int ReadInt(ReadOnlySpan<byte> b, ref int pos)
        {
            int v = BinaryPrimitives.ReadInt32LittleEndian(b.Slice(pos, 4));
            pos += 4;
            return v;
        }
    }
}
