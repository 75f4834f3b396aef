// Writes nfc.bin, the canonical-composition data that Nfc.cs embeds, from the system ICU (libicuuc).
// Run: dotnet run MakeNfcTable.cs -- [icu-major-version] [output]   (default: 72, nfc.bin)
// Format (little-endian): "NFC1", Unicode version (8 bytes, NUL padded),
// i32 nCcc, nCcc x (i32 codePoint, u8 combiningClass),
// i32 nDecomp, nDecomp x (i32 codePoint, u8 composable, u8 n, n x i32 codePoint).
// Decompositions are the raw one-level canonical mappings (Hangul syllables are algorithmic and left out);
// composable = 1 for primary composites (a pair that is not a full composition exclusion).
#:property InvariantGlobalization=false
#:property AllowUnsafeBlocks=true
using System.Runtime.InteropServices;
using System.Text;

string ver = args.Length > 0 ? args[0] : "72";
string output = args.Length > 1 ? args[1] : "nfc.bin";
IntPtr lib = NativeLibrary.Load($"libicuuc.so.{ver}");
T Fn<T>(string name) => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, $"{name}_{ver}"));
var ccc = Fn<CccFn>("u_getCombiningClass");
var nfcInstance = Fn<InstanceFn>("unorm2_getNFCInstance");
var rawDecomposition = Fn<RawFn>("unorm2_getRawDecomposition");
var unicodeVersion = Fn<VersionFn>("u_getUnicodeVersion");

var v = new byte[4];
unicodeVersion(v);
string version = $"{v[0]}.{v[1]}.{v[2]}";
int err = 0;
IntPtr nfc = nfcInstance(ref err);
if (err > 0) throw new InvalidOperationException($"unorm2_getNFCInstance: {err}");

var cccList = new List<(int, byte)>();
var decList = new List<(int Cp, bool Composable, int[] Parts)>();
var buf = new ushort[64];
for (int cp = 0; cp < 0x110000; cp++)
{
    if (cp is >= 0xD800 and <= 0xDFFF) continue;
    byte c = ccc(cp);
    if (c != 0) cccList.Add((cp, c));
    if (cp is >= 0xAC00 and <= 0xD7A3) continue;
    err = 0;
    int n = rawDecomposition(nfc, cp, buf, buf.Length, ref err);
    if (n <= 0 || err > 0) continue;
    int[] parts = new string(buf.Take(n).Select(u => (char)u).ToArray())
        .EnumerateRunes().Select(r => r.Value).ToArray();
    string s = char.ConvertFromUtf32(cp);
    // Canonical mappings only: NFD must change the character (compatibility mappings leave it unchanged).
    if (s.Normalize(NormalizationForm.FormD) == s) continue;
    bool composable = parts.Length == 2 && s.Normalize(NormalizationForm.FormC) == s;
    decList.Add((cp, composable, parts));
}

using var o = new BinaryWriter(File.Create(output));
o.Write("NFC1"u8);
o.Write(Encoding.ASCII.GetBytes(version.PadRight(8, '\0'))[..8]);
o.Write(cccList.Count);
foreach (var (cp, c) in cccList) { o.Write(cp); o.Write(c); }
o.Write(decList.Count);
foreach (var (cp, composable, parts) in decList)
{
    o.Write(cp);
    o.Write((byte)(composable ? 1 : 0));
    o.Write((byte)parts.Length);
    foreach (int p in parts) o.Write(p);
}
Console.WriteLine($"Unicode {version}: {cccList.Count} combining classes, {decList.Count} decompositions -> {output}");

[UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate byte CccFn(int c);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr InstanceFn(ref int err);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int RawFn(IntPtr norm2, int c, [Out] ushort[] decomposition, int capacity, ref int err);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void VersionFn([Out] byte[] version);
