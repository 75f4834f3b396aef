using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>A safetensors file opened read-only and memory-mapped; tensors are read lazily by name.
/// The header is validated in full on open (dtypes, shapes, offsets inside the file, no overlaps), so
/// a header can never make the reader allocate more than the file holds.</summary>
public sealed class SafetensorsFile : ITensorSource
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly long _dataStart;
    private readonly long _dataLength;

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, long dataStart,
        long dataLength, List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        _dataLength = dataLength;
        Entries = entries;
        _entries = entries.ToDictionary(e => e.Name);
        Metadata = metadata;
    }

    /// <summary>Opens and validates a file; throws <see cref="SafetensorsException"/> on malformed input.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new SafetensorsException(path, null, "file not found");
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
            throw new SafetensorsException(path, null, $"truncated file: {fileLength} bytes, need at least 8");
        byte[] lenBytes = new byte[8];
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            fs.ReadExactly(lenBytes);
            ulong headerLen = BitConverter.ToUInt64(lenBytes);
            if (headerLen > (ulong)(fileLength - 8))
                throw new SafetensorsException(path, null,
                    $"header length {headerLen} is larger than the file ({fileLength} bytes)");
            if (headerLen > 100_000_000)
                throw new SafetensorsException(path, null, $"header length {headerLen} exceeds the 100 MB limit");
            byte[] header = new byte[headerLen];
            fs.ReadExactly(header);
            long dataStart = 8 + (long)headerLen;
            long dataLength = fileLength - dataStart;
            var (entries, metadata) = ParseHeader(path, header, dataLength);
            if (dataLength == 0) return new SafetensorsFile(path, null, null, dataStart, 0, entries, metadata);
            var map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            try
            {
                var view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
                return new SafetensorsFile(path, map, view, dataStart, dataLength, entries, metadata);
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }
    }

    private static (List<SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header,
        long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new SafetensorsException(path, null, $"invalid JSON header: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, "invalid JSON header: not an object");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsException(path, null, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new SafetensorsException(path, null,
                                $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (!names.Add(prop.Name)) throw new SafetensorsException(path, prop.Name, "duplicate tensor name");
                entries.Add(ParseEntry(path, prop, dataLength));
            }
            CheckOverlaps(path, entries);
            return (entries, metadata);
        }
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty prop, long dataLength)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new SafetensorsException(path, name, "entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafetensorsException(path, name, "missing dtype");
        if (!DTypeInfo.TryParseSafetensors(dt.GetString()!, out var dtype))
            throw new SafetensorsException(path, name, $"unknown dtype '{dt.GetString()}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafetensorsException(path, name, "missing shape");
        int size = DTypeInfo.SizeOf(dtype);
        // The element count is capped just above what the data buffer can hold, so no shape can overflow it
        // (and no header can make a reader allocate more than the file holds).
        long cap = dataLength / size + 1;
        long elements = 1;
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new SafetensorsException(path, name, $"invalid shape dimension {d.GetRawText()}");
            shape[i++] = (int)dim;
            UInt128 product = (UInt128)(ulong)elements * (ulong)dim;
            elements = product > (UInt128)(ulong)cap ? cap : (long)product;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array
            || off.GetArrayLength() != 2)
            throw new SafetensorsException(path, name, "missing or malformed data_offsets");
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end))
            throw new SafetensorsException(path, name, "data_offsets are not integers");
        if (begin < 0 || end < begin || end > dataLength)
            throw new SafetensorsException(path, name,
                $"data_offsets [{begin}, {end}] out of range (data buffer holds {dataLength} bytes)");
        string shapeText = $"shape [{string.Join(", ", shape)}] x {DTypeInfo.SafetensorsName(dtype)}";
        long expected = elements * size; // <= dataLength + size: cannot overflow
        if (expected > dataLength)
            throw new SafetensorsException(path, name,
                $"{shapeText} needs more than the data buffer's {dataLength} bytes (data_offsets span {end - begin})");
        if (expected != end - begin)
            throw new SafetensorsException(path, name,
                $"{shapeText} needs {expected} bytes, data_offsets span {end - begin}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckOverlaps(string path, List<SafetensorsEntry> entries)
    {
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new SafetensorsException(path, sorted[i].Name,
                    $"data_offsets [{sorted[i].Begin}, {sorted[i].End}] overlap tensor '{sorted[i - 1].Name}' "
                    + $"[{sorted[i - 1].Begin}, {sorted[i - 1].End}]");
        }
    }

    /// <inheritdoc/>
    public string SourcePath => Path;

    /// <inheritdoc/>
    public IEnumerable<string> TensorNames => Entries.Select(e => e.Name);

    /// <inheritdoc/>
    public (DType DType, int[] Shape) Describe(string name)
    {
        var e = GetEntry(name);
        return (e.DType, e.Shape);
    }

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The entry of a tensor; throws naming the file and tensor when absent.</summary>
    public SafetensorsEntry GetEntry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new SafetensorsException(Path, name, "no such tensor");

    /// <summary>Copies a tensor's raw little-endian bytes.</summary>
    public byte[] ReadBytes(string name)
    {
        var e = GetEntry(name);
        if (e.ByteLength > Array.MaxLength)
            throw new SafetensorsException(Path, name, $"{e.ByteLength} bytes do not fit in one array");
        var bytes = new byte[e.ByteLength];
        if (bytes.Length > 0) _view!.ReadArray(_dataStart + e.Begin, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Reads a floating-point tensor widened (or narrowed from F64) to float32.</summary>
    public float[] ReadFloat32(string name)
    {
        var e = GetEntry(name);
        byte[] raw = ReadBytes(name);
        return e.DType switch
        {
            DType.Float32 => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
            DType.Float64 => Array.ConvertAll(MemoryMarshal.Cast<byte, double>(raw).ToArray(), d => (float)d),
            DType.Float16 => Array.ConvertAll(MemoryMarshal.Cast<byte, Half>(raw).ToArray(), h => (float)h),
            DType.BFloat16 => WidenBf16(MemoryMarshal.Cast<byte, ushort>(raw)),
            DType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (float)v),
            DType.Int64 => Array.ConvertAll(MemoryMarshal.Cast<byte, long>(raw).ToArray(), v => (float)v),
            _ => throw new SafetensorsException(Path, name,
                $"cannot read {DTypeInfo.SafetensorsName(e.DType)} as float32"),
        };
    }

    /// <summary>Reads a BF16 tensor as its raw 16-bit patterns (the upper halves of float32 values), without
    /// widening; see <see cref="WidenBf16"/>.</summary>
    public ushort[] ReadBFloat16Raw(string name)
    {
        var e = GetEntry(name);
        if (e.DType != DType.BFloat16)
            throw new SafetensorsException(Path, name, $"is {DTypeInfo.SafetensorsName(e.DType)}, not BF16");
        return MemoryMarshal.Cast<byte, ushort>(ReadBytes(name)).ToArray();
    }

    /// <summary>Reads an F16 tensor as <see cref="Half"/> values, without widening.</summary>
    public Half[] ReadFloat16Raw(string name)
    {
        var e = GetEntry(name);
        if (e.DType != DType.Float16)
            throw new SafetensorsException(Path, name, $"is {DTypeInfo.SafetensorsName(e.DType)}, not F16");
        return MemoryMarshal.Cast<byte, Half>(ReadBytes(name)).ToArray();
    }

    /// <summary>Reads a tensor as float64 (exact widening of every stored type).</summary>
    public double[] ReadFloat64(string name)
    {
        var e = GetEntry(name);
        if (e.DType == DType.Float64) return MemoryMarshal.Cast<byte, double>(ReadBytes(name)).ToArray();
        if (e.DType == DType.Int64) return Array.ConvertAll(ReadInt64(name), v => (double)v);
        return Array.ConvertAll(ReadFloat32(name), v => (double)v);
    }

    /// <summary>Reads an integer tensor (I32, I64 or U8) as int64.</summary>
    public long[] ReadInt64(string name)
    {
        var e = GetEntry(name);
        byte[] raw = ReadBytes(name);
        return e.DType switch
        {
            DType.Int64 => MemoryMarshal.Cast<byte, long>(raw).ToArray(),
            DType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (long)v),
            DType.UInt8 => Array.ConvertAll(raw, v => (long)v),
            _ => throw new SafetensorsException(Path, name,
                $"cannot read {DTypeInfo.SafetensorsName(e.DType)} as an integer tensor"),
        };
    }

    /// <summary>bf16 → float32: the stored 16 bits are the upper half of the float32 pattern.</summary>
    public static float[] WidenBf16(ReadOnlySpan<ushort> src)
    {
        var dst = new float[src.Length];
        for (int i = 0; i < src.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
        return dst;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }

    internal long DataLength => _dataLength;
}
