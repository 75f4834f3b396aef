using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Ssm.Engine.Tests.IO;

/// <summary>Writes pickle opcodes by hand, the way torch.save's pickler does, so tests can build both valid
/// state dicts and hostile pickles byte by byte.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = new();

    public byte[] ToArray() => _b.ToArray();

    public PickleBuilder Op(params byte[] bytes)
    {
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder Proto(byte v = 2) => Op(0x80, v);
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder BinPersId() => Op((byte)'Q');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder Stop() => Op((byte)'.');

    public PickleBuilder Global(string module, string name) =>
        Op((byte)'c').Op(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder Str(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)utf8.Length);
        return Op(len).Op(utf8);
    }

    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and < 256) return Op((byte)'K', (byte)v);
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Op((byte)'J').Op(b);
        }
        var l = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        return Op(0x8a, 8).Op(l); // LONG1
    }

    public PickleBuilder IntTuple(long[] values)
    {
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }

    /// <summary>An empty <c>collections.OrderedDict()</c>.</summary>
    public PickleBuilder OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary><c>_rebuild_tensor_v2(('storage', torch.&lt;type&gt;, key, 'cpu', numel), offset, size, stride,
    /// False, OrderedDict())</c>.</summary>
    public PickleBuilder Tensor(TensorSpec t)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", t.StorageType).Str(t.Key).Str("cpu").Int(t.Numel).Tuple().BinPersId();
        Int(t.Offset).IntTuple(t.Size).IntTuple(t.Stride).False().OrderedDict();
        return Tuple().Reduce();
    }

    /// <summary>A complete pickle of an OrderedDict state dict, as torch.save writes it (protocol 2).</summary>
    public static byte[] StateDict(params TensorSpec[] tensors)
    {
        var p = new PickleBuilder().Proto().OrderedDict();
        if (tensors.Length > 0)
        {
            p.Mark();
            foreach (var t in tensors) p.Str(t.Name).Tensor(t);
            p.SetItems();
        }
        return p.Stop().ToArray();
    }
}

/// <summary>One tensor of a hand-built checkpoint.</summary>
internal sealed record TensorSpec(string Name, string StorageType, string Key, long Numel, long Offset, long[] Size,
    long[] Stride)
{
    /// <summary>A contiguous F32 tensor filling its own storage.</summary>
    public static TensorSpec Contiguous(string name, string key, params long[] size)
    {
        var stride = new long[size.Length];
        long n = 1;
        for (int k = size.Length - 1; k >= 0; k--)
        {
            stride[k] = n;
            n *= size[k];
        }
        return new TensorSpec(name, "FloatStorage", key, n, 0, size, stride);
    }
}

/// <summary>Writes a torch.save-style zip (stored entries under one archive folder).</summary>
internal static class CheckpointZip
{
    public static void Write(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages,
        string archive = "archive", string? byteOrder = "little", bool includePickle = true)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        if (includePickle) Add(zip, $"{archive}/data.pkl", pickle);
        if (byteOrder is not null) Add(zip, $"{archive}/byteorder", Encoding.ASCII.GetBytes(byteOrder));
        foreach (var (key, bytes) in storages) Add(zip, $"{archive}/data/{key}", bytes);
        Add(zip, $"{archive}/version", "3\n"u8.ToArray());
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }

    /// <summary>Little-endian bytes of float32 values.</summary>
    public static byte[] Floats(IEnumerable<float> values) =>
        values.SelectMany(BitConverter.GetBytes).ToArray();
}
