using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>A PyTorch <c>torch.save</c> checkpoint (<c>pytorch_model.bin</c>, zip format, torch ≥ 1.6) holding a
/// state dict, read without Python. The zip's <c>&lt;archive&gt;/data.pkl</c> is interpreted by a restricted
/// unpickler that accepts only the opcodes and globals a state dict needs
/// (<c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c> / <c>_rebuild_tensor</c> /
/// <c>_rebuild_parameter</c>, <c>torch.XStorage</c> classes) and rejects anything else with a
/// <see cref="TorchCheckpointException"/>. Every tensor's view is validated against its storage entry on open;
/// data are read lazily per tensor (views with offsets or strides are materialised in row-major order), and
/// no header can make the reader allocate more than the file holds. The top-level object must be the state
/// dict, or a dict holding it under <c>"state_dict"</c> or <c>"model"</c>.</summary>
public sealed class TorchCheckpoint : ITensorSource
{
    private readonly FileStream _file;
    private readonly ZipArchive _zip;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (TorchTensorEntry Entry, ZipArchiveEntry Data)> _tensors;

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The archive's top folder (the name <c>torch.save</c> derived from the file name).</summary>
    public string ArchiveName { get; }

    /// <summary>The tensors in state-dict order.</summary>
    public IReadOnlyList<TorchTensorEntry> Entries { get; }

    private TorchCheckpoint(string path, string archiveName, FileStream file, ZipArchive zip,
        List<(TorchTensorEntry, ZipArchiveEntry)> tensors)
    {
        Path = path;
        ArchiveName = archiveName;
        _file = file;
        _zip = zip;
        Entries = tensors.Select(t => t.Item1).ToList();
        _tensors = tensors.ToDictionary(t => t.Item1.Name, t => t);
    }

    /// <summary>Opens and validates a checkpoint; throws <see cref="TorchCheckpointException"/> on malformed
    /// or disallowed input.</summary>
    public static TorchCheckpoint Open(string path)
    {
        if (!File.Exists(path)) throw new TorchCheckpointException(path, null, "file not found");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        ZipArchive? zip = null;
        try
        {
            zip = OpenZip(path, file);
            return Load(path, file, zip);
        }
        catch
        {
            zip?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static ZipArchive OpenZip(string path, FileStream file)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = file.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        file.Position = 0;
        if (got >= 2 && magic[0] == 0x80 && magic[1] <= 5)
            throw new TorchCheckpointException(path, null, "a bare pickle (the legacy torch.save format of "
                + "torch < 1.6) is not supported; re-save it with a current torch");
        ZipArchive? zip = null;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            _ = zip.Entries.Count; // reads the whole central directory now, inside this try
            return zip;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
        {
            zip?.Dispose();
            throw new TorchCheckpointException(path, null,
                $"not a readable zip archive (truncated or corrupt): {e.Message}", e);
        }
    }

    private static TorchCheckpoint Load(string path, FileStream file, ZipArchive zip)
    {
        long fileLength = file.Length;
        var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
            && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
        if (pickles.Count == 0)
            throw new TorchCheckpointException(path, null, "missing data.pkl: no '<archive>/data.pkl' entry");
        if (pickles.Count > 1)
            throw new TorchCheckpointException(path, null, "several archives in one zip: "
                + string.Join(", ", pickles.Select(p => p.FullName)));
        string prefix = pickles[0].FullName[..^"data.pkl".Length];
        CheckByteOrder(path, zip, prefix, fileLength);
        byte[] pickle = ReadEntry(path, pickles[0], fileLength);
        var storages = new Dictionary<string, TorchStorageRef>(StringComparer.Ordinal);
        object? root = PickleReader.Load(pickle, path, pickles[0].FullName, TorchPickleGlobals.Resolve,
            pid => Intern(storages, TorchStorage.ParsePersistentId(pid)));
        var tensors = new List<(TorchTensorEntry, ZipArchiveEntry)>();
        foreach (var (key, value) in SelectStateDict(path, root).Items)
        {
            if (key is not string name)
                throw new TorchCheckpointException(path, null, $"state-dict key {key} is not a string");
            if (value is not TorchTensorRecord record)
                throw new TorchCheckpointException(path, name,
                    $"value is a {PickleReader.TypeName(value)}, not a tensor");
            tensors.Add(Validate(path, zip, prefix, fileLength, name, record));
        }
        return new TorchCheckpoint(path, prefix.TrimEnd('/'), file, zip, tensors);
    }

    private static TorchStorageRef Intern(Dictionary<string, TorchStorageRef> storages, TorchStorageRef s)
    {
        if (!storages.TryGetValue(s.Key, out var known)) storages[s.Key] = known = s;
        if (known != s)
            throw new InvalidDataException($"storage '{s.Key}' is named as both ({known.Type}, {known.Numel}) "
                + $"and ({s.Type}, {s.Numel})");
        return known;
    }

    private static PickleDict SelectStateDict(string path, object? root)
    {
        if (root is not PickleDict d)
            throw new TorchCheckpointException(path, null,
                $"top-level object is a {PickleReader.TypeName(root)}, not a state dict");
        if (d.Items.All(kv => kv.Value is TorchTensorRecord)) return d;
        foreach (string wrapper in new[] { "state_dict", "model" })
            if (d.TryGet(wrapper, out var inner) && inner is PickleDict sd) return sd;
        var bad = d.Items.First(kv => kv.Value is not TorchTensorRecord);
        throw new TorchCheckpointException(path, null, $"top-level dict is not a state dict: '{bad.Key}' holds "
            + $"a {PickleReader.TypeName(bad.Value)} and there is no 'state_dict' or 'model' dict");
    }

    private static (TorchTensorEntry, ZipArchiveEntry) Validate(string path, ZipArchive zip, string prefix,
        long fileLength, string name, TorchTensorRecord r)
    {
        var s = r.Storage;
        string entryName = prefix + "data/" + s.Key;
        var data = zip.GetEntry(entryName)
            ?? throw new TorchCheckpointException(path, name, $"missing storage entry '{entryName}'");
        CheckDeclaredSize(path, data, fileLength);
        int size = DTypeInfo.SizeOf(s.Type.DType);
        if ((Int128)s.Numel * size > data.Length)
            throw new TorchCheckpointException(path, name, $"storage entry '{entryName}' holds {data.Length} "
                + $"bytes, but its persistent id says {s.Numel} x {s.Type} ({(Int128)s.Numel * size} bytes)");
        int[] shape = Array.ConvertAll(r.Size, v => (int)v); // each checked <= int.MaxValue on REDUCE
        string view = $"view (offset {r.Offset}, shape [{string.Join(", ", shape)}], "
            + $"strides [{string.Join(", ", r.Stride)}])";
        long count = TorchStorage.ElementCount(shape, s.Numel);
        if (count < 0)
            throw new TorchCheckpointException(path, name, $"{view} has more elements than its storage "
                + $"'{s.Key}' ({s.Numel}); broadcast or overlapping views are not supported");
        if (count > 0)
        {
            long last = TorchStorage.LastIndex(r.Offset, shape, r.Stride, s.Numel);
            if (last < 0 || last >= s.Numel)
                throw new TorchCheckpointException(path, name, $"storage too small for the view: {view} "
                    + $"reaches past the {s.Numel} elements of storage '{s.Key}'");
        }
        var entry = new TorchTensorEntry(name, s.Type.DType, shape, r.Stride, r.Offset, s.Key, s.Type.Name,
            s.Numel);
        return (entry, data);
    }

    private static void CheckDeclaredSize(string path, ZipArchiveEntry e, long fileLength)
    {
        if (e.Length > fileLength || e.CompressedLength > fileLength)
            throw new TorchCheckpointException(path, null, $"entry '{e.FullName}' declares {e.Length} bytes, more "
                + $"than the whole file ({fileLength} bytes); torch.save writes uncompressed entries");
    }

    private static void CheckByteOrder(string path, ZipArchive zip, string prefix, long fileLength)
    {
        var e = zip.GetEntry(prefix + "byteorder");
        if (e is null) return; // absent in older torch versions: data are little-endian
        if (e.Length > 16) throw new TorchCheckpointException(path, null, $"'{e.FullName}' is {e.Length} bytes");
        string order = Encoding.ASCII.GetString(ReadEntry(path, e, fileLength)).Trim();
        if (order != "little")
            throw new TorchCheckpointException(path, null, $"byte order '{order}' is not supported "
                + "(only little-endian checkpoints are)");
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry e, long fileLength)
    {
        CheckDeclaredSize(path, e, fileLength);
        if (e.Length > Array.MaxLength)
            throw new TorchCheckpointException(path, null, $"'{e.FullName}' ({e.Length} bytes) is too large");
        var buffer = new byte[e.Length];
        ReadRange(path, null, e, 0, buffer);
        return buffer;
    }

    /// <summary>Reads <paramref name="dst"/>.Length bytes of an entry from byte <paramref name="start"/> on.</summary>
    private static void ReadRange(string path, string? tensor, ZipArchiveEntry e, long start, Span<byte> dst)
    {
        try
        {
            using var s = e.Open();
            if (s.CanSeek) s.Seek(start, SeekOrigin.Begin);
            else
            {
                byte[] skip = new byte[(int)Math.Min(start, 1 << 16)];
                for (long left = start; left > 0;)
                {
                    int n = s.Read(skip, 0, (int)Math.Min(left, skip.Length));
                    if (n == 0) throw new EndOfStreamException();
                    left -= n;
                }
            }
            s.ReadExactly(dst);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException and not TorchCheckpointException)
        {
            throw new TorchCheckpointException(path, tensor,
                $"entry '{e.FullName}' is truncated or corrupt: {ex.Message}", ex);
        }
        // A whole entry is checked against the directory's CRC-32 (a part of one cannot be).
        if (start == 0 && dst.Length == e.Length && ZipCrc32.Compute(dst) is var crc && crc != e.Crc32)
            throw new TorchCheckpointException(path, tensor,
                $"entry '{e.FullName}' is corrupt: CRC-32 {crc:x8}, the zip directory says {e.Crc32:x8}");
    }

    /// <inheritdoc/>
    public string SourcePath => Path;

    /// <inheritdoc/>
    public IEnumerable<string> TensorNames => Entries.Select(e => e.Name);

    /// <inheritdoc/>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <inheritdoc/>
    public (DType DType, int[] Shape) Describe(string name)
    {
        var e = GetEntry(name);
        return (e.DType, (int[])e.Shape.Clone());
    }

    /// <summary>The entry of a tensor; throws naming the file and tensor when absent.</summary>
    public TorchTensorEntry GetEntry(string name) =>
        _tensors.TryGetValue(name, out var t)
            ? t.Entry
            : throw new TorchCheckpointException(Path, name, "no such tensor");

    /// <summary>Reads a tensor's elements as raw little-endian bytes in row-major order (views materialised).</summary>
    public byte[] ReadBytes(string name) => Read<byte>(name);

    /// <summary>Reads a tensor into a new array of <typeparamref name="T"/> (whose size must be the element
    /// size): a contiguous view straight from the storage entry, any other view through a gather.</summary>
    private T[] Read<T>(string name) where T : unmanaged
    {
        var (e, data) = _tensors.TryGetValue(name, out var t) ? t
            : throw new TorchCheckpointException(Path, name, "no such tensor");
        int size = DTypeInfo.SizeOf(e.DType);
        long count = e.ElementCount; // <= storage numel (checked on open)
        if (count == 0) return [];
        long last = TorchStorage.LastIndex(e.StorageOffset, e.Shape, e.Strides, e.StorageNumel);
        long windowBytes = (last - e.StorageOffset + 1) * size; // <= storage bytes <= file length
        if (count * size > Array.MaxLength || windowBytes > Array.MaxLength)
            throw new TorchCheckpointException(Path, name, $"{windowBytes} bytes do not fit in one array");
        var result = new T[count * size / Unsafe.SizeOf<T>()];
        var dst = MemoryMarshal.AsBytes(result.AsSpan());
        if (e.IsContiguous)
        {
            lock (_lock) ReadRange(Path, name, data, e.StorageOffset * size, dst); // exactly the view's bytes
            return result;
        }
        var window = new byte[windowBytes];
        lock (_lock) ReadRange(Path, name, data, e.StorageOffset * size, window);
        TorchStorage.Gather(window, size, e.Shape, e.Strides, dst);
        return result;
    }

    /// <inheritdoc/>
    /// <remarks>F32 as stored; F16, BF16 widened; F64 narrowed; I32, I64 converted.</remarks>
    public float[] ReadFloat32(string name)
    {
        var e = GetEntry(name);
        if (e.DType == DType.Float32) return Read<float>(name);
        byte[] raw = ReadBytes(name);
        return e.DType switch
        {
            DType.Float64 => Array.ConvertAll(MemoryMarshal.Cast<byte, double>(raw).ToArray(), d => (float)d),
            DType.Float16 => Array.ConvertAll(MemoryMarshal.Cast<byte, Half>(raw).ToArray(), h => (float)h),
            DType.BFloat16 => SafetensorsFile.WidenBf16(MemoryMarshal.Cast<byte, ushort>(raw)),
            DType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (float)v),
            DType.Int64 => Array.ConvertAll(MemoryMarshal.Cast<byte, long>(raw).ToArray(), v => (float)v),
            _ => throw new TorchCheckpointException(Path, name, $"cannot read torch.{e.StorageType} as float32"),
        };
    }

    /// <inheritdoc/>
    public ushort[] ReadBFloat16Raw(string name)
    {
        var e = GetEntry(name);
        if (e.DType != DType.BFloat16)
            throw new TorchCheckpointException(Path, name, $"is torch.{e.StorageType}, not BF16");
        return Read<ushort>(name);
    }

    /// <summary>Reads an integer tensor (I64, I32, U8 or bool) as int64.</summary>
    public long[] ReadInt64(string name)
    {
        var e = GetEntry(name);
        if (e.DType == DType.Int64) return Read<long>(name);
        byte[] raw = ReadBytes(name);
        return e.DType switch
        {
            DType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (long)v),
            DType.UInt8 => Array.ConvertAll(raw, v => (long)v),
            _ => throw new TorchCheckpointException(Path, name,
                $"cannot read torch.{e.StorageType} as an integer tensor"),
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _zip.Dispose();
        _file.Dispose();
    }
}
