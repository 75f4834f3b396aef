using System.Buffers.Binary;
using System.Text;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.IO;

/// <summary>torch.save checkpoints read without Python: golden files match their safetensors twins bit for bit,
/// views are materialised row-major, and every hostile or malformed input is a typed
/// <see cref="TorchCheckpointException"/> naming the file and the offending opcode, global or tensor.</summary>
public class TorchCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ssm-pt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly float[] Iota24 = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();

    private string Write(byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null,
        string archive = "archive", string? byteOrder = "little", bool includePickle = true)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.bin");
        CheckpointZip.Write(path, pickle, storages ?? new Dictionary<string, byte[]>(), archive, byteOrder,
            includePickle);
        return path;
    }

    private string WriteIota(params TensorSpec[] tensors) =>
        Write(PickleBuilder.StateDict(tensors),
            new Dictionary<string, byte[]> { ["0"] = CheckpointZip.Floats(Iota24) });

    private static TorchCheckpointException Fails(string path, params string[] messageParts)
    {
        var e = Assert.Throws<TorchCheckpointException>(() => TorchCheckpoint.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        foreach (string part in messageParts) Assert.Contains(part, e.Message);
        return e;
    }

    // ---- golden checkpoints ----

    public static IEnumerable<object[]> GoldenCheckpoints() =>
        Directory.EnumerateFiles(Path.Combine(GoldenPaths.Root, "models"), "pytorch_model.bin",
                SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => new object[] { Path.GetRelativePath(GoldenPaths.Root, p) });

    [Theory]
    [MemberData(nameof(GoldenCheckpoints))]
    public void GoldenCheckpoint_EqualsSafetensorsBesideIt_BitForBit(string relativePath)
    {
        string path = Path.Combine(GoldenPaths.Root, relativePath);
        using var pt = TorchCheckpoint.Open(path);
        using var st = SafetensorsFile.Open(Path.Combine(Path.GetDirectoryName(path)!, "model.safetensors"));
        Assert.Equal("pytorch_model", pt.ArchiveName);
        Assert.Equal(st.TensorNames.Order(StringComparer.Ordinal), pt.TensorNames.Order(StringComparer.Ordinal));
        Assert.Equal("backbone.embedding.weight", pt.Entries[0].Name); // state_dict() order
        Assert.Equal("lm_head.weight", pt.Entries[^1].Name);
        foreach (string name in st.TensorNames)
        {
            Assert.True(pt.Contains(name));
            var (dtype, shape) = pt.Describe(name);
            Assert.Equal(st.Describe(name).DType, dtype);
            Assert.Equal(st.Describe(name).Shape, shape);
            Assert.Equal(st.ReadBytes(name), pt.ReadBytes(name));
            float[] got = pt.ReadFloat32(name), want = st.ReadFloat32(name);
            Assert.Equal(want.Select(BitConverter.SingleToInt32Bits), got.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void TiedGoldenCheckpoint_SharesEmbeddingStorage_UntiedDoesNot()
    {
        string models = Path.Combine(GoldenPaths.Root, "models");
        const string file = "native/pytorch_model.bin";
        using (var tied = TorchCheckpoint.Open(Path.Combine(models, "mamba1_l2_v256_tied", file)))
            Assert.Equal(tied.GetEntry("backbone.embedding.weight").StorageKey,
                tied.GetEntry("lm_head.weight").StorageKey);
        using var untied = TorchCheckpoint.Open(Path.Combine(models, "mamba1_l2_v1000_untied", file));
        Assert.NotEqual(untied.GetEntry("backbone.embedding.weight").StorageKey,
            untied.GetEntry("lm_head.weight").StorageKey);
    }

    [Fact]
    public void Source_UsedThroughITensorSource_ReadsAndNamesMissingTensor()
    {
        using ITensorSource src = TorchCheckpoint.Open(WriteIota(TensorSpec.Contiguous("w", "0", 4, 6)));
        Assert.Equal(["w"], src.TensorNames);
        Assert.Equal(DType.Float32, src.Describe("w").DType);
        Assert.Equal([4, 6], src.Describe("w").Shape);
        Assert.Equal(Iota24, src.ReadFloat32("w"));
        var e = Assert.Throws<TorchCheckpointException>(() => src.ReadFloat32("nope"));
        Assert.Equal("nope", e.TensorName);
        Assert.Throws<TorchCheckpointException>(() => src.ReadBFloat16Raw("w"));
    }

    // ---- views, shared storages, dtypes ----

    [Fact]
    public void StridedView_IsMaterialisedRowMajor()
    {
        // [i, j] = storage[2 + i*1 + j*3]: a transposed window of the storage.
        var t2 = new TensorSpec("t2", "FloatStorage", "0", 24, 2, [3, 4], [1, 3]);
        // [a, b, c] = storage[1 + 12a + b + 4c]
        var t3 = new TensorSpec("t3", "FloatStorage", "0", 24, 1, [2, 2, 3], [12, 1, 4]);
        using var f = TorchCheckpoint.Open(WriteIota(t2, t3));
        Assert.False(f.GetEntry("t2").IsContiguous);
        Assert.Equal([2f, 5, 8, 11, 3, 6, 9, 12, 4, 7, 10, 13], f.ReadFloat32("t2"));
        Assert.Equal([1f, 5, 9, 2, 6, 10, 13, 17, 21, 14, 18, 22], f.ReadFloat32("t3"));
        Assert.Equal([3, 4], f.Describe("t2").Shape);
    }

    [Fact]
    public void RandomViews_MatchTheIndexFormula()
    {
        // Element [i0, i1, ..] of a view is storage[offset + Σ i_k·stride_k]; 60 random views (fixed seed) of
        // ranks 0-4, with strides that may be permuted, padded, overlapping or zero, over one storage.
        const int numel = 4096;
        var rng = new Random(20261123);
        var specs = new List<TensorSpec>();
        while (specs.Count < 60)
        {
            int rank = rng.Next(5);
            long[] size = Enumerable.Range(0, rank).Select(_ => (long)rng.Next(1, 6)).ToArray();
            long[] stride = Enumerable.Range(0, rank).Select(_ => (long)rng.Next(0, 40)).ToArray();
            long span = size.Zip(stride, (n, st) => (n - 1) * st).Sum();
            long count = size.Aggregate(1L, (a, n) => a * n);
            if (span >= numel || count > numel) continue; // zero/overlapping strides stay in: count <= numel
            specs.Add(new TensorSpec($"v{specs.Count}", "FloatStorage", "0", numel, rng.Next((int)(numel - span)), size,
                stride));
        }
        var storage = Enumerable.Range(0, numel).Select(i => (float)i).ToArray();
        using var f = TorchCheckpoint.Open(Write(PickleBuilder.StateDict([.. specs]),
            new Dictionary<string, byte[]> { ["0"] = CheckpointZip.Floats(storage) }));
        foreach (var spec in specs)
        {
            float[] got = f.ReadFloat32(spec.Name);
            Assert.Equal(spec.Size.Aggregate(1L, (a, n) => a * n), got.LongLength);
            for (int flat = 0; flat < got.Length; flat++)
            {
                long at = spec.Offset, rest = flat;
                for (int k = spec.Size.Length - 1; k >= 0; k--)
                {
                    at += rest % spec.Size[k] * spec.Stride[k];
                    rest /= spec.Size[k];
                }
                Assert.Equal(storage[at], got[flat]);
            }
        }
    }

    [Fact]
    public void OffsetViews_ShareOneStorage()
    {
        var a = new TensorSpec("a", "FloatStorage", "0", 24, 0, [2, 3], [3, 1]);
        var b = new TensorSpec("b", "FloatStorage", "0", 24, 18, [2, 3], [3, 1]);
        var unit = new TensorSpec("unit", "FloatStorage", "0", 24, 4, [1, 4], [99, 1]); // size-1 dim: any stride
        var scalar = new TensorSpec("scalar", "FloatStorage", "0", 24, 7, [], []);
        var empty = new TensorSpec("empty", "FloatStorage", "0", 24, 0, [0, 3], [3, 1]);
        using var f = TorchCheckpoint.Open(WriteIota(a, b, unit, scalar, empty));
        Assert.Equal([0f, 1, 2, 3, 4, 5], f.ReadFloat32("a"));
        Assert.Equal([18f, 19, 20, 21, 22, 23], f.ReadFloat32("b"));
        Assert.True(f.GetEntry("unit").IsContiguous);
        Assert.Equal([4f, 5, 6, 7], f.ReadFloat32("unit"));
        Assert.Equal([7f], f.ReadFloat32("scalar"));
        Assert.Empty(f.Describe("scalar").Shape);
        Assert.Empty(f.ReadFloat32("empty"));
        Assert.Equal(f.GetEntry("a").StorageKey, f.GetEntry("b").StorageKey);
        Assert.Equal(["a", "b", "unit", "scalar", "empty"], f.TensorNames);
    }

    public static TheoryData<string, byte[], DType> Dtypes() => new()
    {
        { "DoubleStorage", [.. BitConverter.GetBytes(1.5), .. BitConverter.GetBytes(-2.25)], DType.Float64 },
        { "HalfStorage", [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-2.25f))],
            DType.Float16 },
        { "BFloat16Storage", [0xC0, 0x3F, 0x10, 0xC0], DType.BFloat16 }, // 1.5, -2.25
        { "FloatStorage", CheckpointZip.Floats([1.5f, -2.25f]), DType.Float32 },
    };

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void FloatStorages_WidenToFloat32(string storageType, byte[] bytes, DType dtype)
    {
        var spec = new TensorSpec("w", storageType, "0", 2, 0, [2], [1]);
        using var f = TorchCheckpoint.Open(Write(PickleBuilder.StateDict(spec),
            new Dictionary<string, byte[]> { ["0"] = bytes }));
        Assert.Equal(dtype, f.Describe("w").DType);
        Assert.Equal(storageType, f.GetEntry("w").StorageType);
        Assert.Equal([1.5f, -2.25f], f.ReadFloat32("w"));
        Assert.Equal(bytes, f.ReadBytes("w"));
        if (dtype == DType.BFloat16) Assert.Equal([(ushort)0x3FC0, (ushort)0xC010], f.ReadBFloat16Raw("w"));
    }

    [Fact]
    public void IntegerStorages_ReadAsInt64()
    {
        byte[] longs = new byte[16], ints = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(longs, -3);
        BinaryPrimitives.WriteInt64LittleEndian(longs.AsSpan(8), 1L << 40);
        BinaryPrimitives.WriteInt32LittleEndian(ints, -7);
        BinaryPrimitives.WriteInt32LittleEndian(ints.AsSpan(4), 9);
        var specs = new[]
        {
            new TensorSpec("l", "LongStorage", "l", 2, 0, [2], [1]),
            new TensorSpec("i", "IntStorage", "i", 2, 0, [2], [1]),
            new TensorSpec("u", "ByteStorage", "u", 2, 0, [2], [1]),
            new TensorSpec("b", "BoolStorage", "b", 2, 0, [2], [1]),
        };
        var storages = new Dictionary<string, byte[]>
            { ["l"] = longs, ["i"] = ints, ["u"] = [0, 255], ["b"] = [1, 0] };
        using var f = TorchCheckpoint.Open(Write(PickleBuilder.StateDict(specs), storages));
        Assert.Equal([-3L, 1L << 40], f.ReadInt64("l"));
        Assert.Equal([-7L, 9], f.ReadInt64("i"));
        Assert.Equal([0L, 255], f.ReadInt64("u"));
        Assert.Equal([1L, 0], f.ReadInt64("b"));
        Assert.Equal(DType.UInt8, f.Describe("b").DType);
        Assert.Throws<TorchCheckpointException>(() => f.ReadFloat32("b"));
        Assert.Throws<TorchCheckpointException>(() => f.ReadBFloat16Raw("l"));
    }

    // ---- accepted pickle variants ----

    [Fact]
    public void Protocol4Pickle_WithFramesMemoizeAndStackGlobal_Opens()
    {
        var t = TensorSpec.Contiguous("w", "0", 2, 3);
        var p = new PickleBuilder().Proto(4).Op(0x95, 0, 0, 0, 0, 0, 0, 0, 0) // FRAME (length only a hint)
            .Op(0x8c, 11).Op(Encoding.ASCII.GetBytes("collections")).Op(0x94) // SHORT_BINUNICODE, MEMOIZE
            .Op(0x8c, 11).Op(Encoding.ASCII.GetBytes("OrderedDict")).Op(0x94)
            .Op(0x93, 0x94).EmptyTuple().Reduce().Op(0x94) // STACK_GLOBAL; memo 2 = OrderedDict, 3 = the dict
            .Op(0x8c, 1, (byte)'w').Tensor(t).SetItem()
            .Op(0x8c, 1, (byte)'v').Tensor(t with { Offset = 0, Size = [6], Stride = [1] }).SetItem()
            .EmptyDict().Op(0x8c, 9).Op(Encoding.ASCII.GetBytes("_metadata"))
            .Op((byte)'h', 2).EmptyTuple().Reduce().SetItem() // {'_metadata': OrderedDict()} via BINGET 2
            .Op((byte)'b') // BUILD: the dict's _metadata attribute
            .Stop().ToArray();
        using var f = TorchCheckpoint.Open(Write(p, new Dictionary<string, byte[]>
            { ["0"] = CheckpointZip.Floats(Iota24[..6]) }));
        Assert.Equal(["w", "v"], f.TensorNames);
        Assert.Equal(Iota24[..6], f.ReadFloat32("v"));
    }

    [Fact]
    public void StateDictWrappedUnderModel_AndAnyArchiveFolder_Opens()
    {
        var t = TensorSpec.Contiguous("w", "0", 24);
        var p = new PickleBuilder().Proto().EmptyDict().Mark().Str("epoch").Int(3)
            .Str("model").OrderedDict().Mark().Str("w").Tensor(t).SetItems().SetItems().Stop().ToArray();
        string path = Write(p, new Dictionary<string, byte[]> { ["0"] = CheckpointZip.Floats(Iota24) },
            archive: "my_weights", byteOrder: null);
        using var f = TorchCheckpoint.Open(path);
        Assert.Equal("my_weights", f.ArchiveName);
        Assert.Equal(Iota24, f.ReadFloat32("w"));
    }

    [Fact]
    public void RebuildParameterAndLegacyRebuildTensor_Open()
    {
        var t = TensorSpec.Contiguous("w", "0", 4, 6);
        var p = new PickleBuilder().Proto().OrderedDict().Mark()
            .Str("param").Global("torch._utils", "_rebuild_parameter").Mark().Tensor(t).Op(0x88).OrderedDict()
            .Tuple().Reduce()
            .Str("legacy").Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(24).Tuple().BinPersId()
            .Int(12).IntTuple([3]).IntTuple([4]).Tuple().Reduce()
            .SetItems().Stop().ToArray();
        using var f = TorchCheckpoint.Open(Write(p, new Dictionary<string, byte[]>
            { ["0"] = CheckpointZip.Floats(Iota24) }));
        Assert.Equal(Iota24, f.ReadFloat32("param"));
        Assert.Equal([12f, 16, 20], f.ReadFloat32("legacy"));
    }

    [Fact]
    public void ConcurrentReads_AreConsistent()
    {
        string path = Path.Combine(GoldenPaths.Root, "models/mamba2_l2_v256/native/pytorch_model.bin");
        using var f = TorchCheckpoint.Open(path);
        var names = f.TensorNames.ToArray();
        var serial = names.Select(f.ReadBytes).ToArray();
        var parallel = new byte[names.Length][];
        Parallel.For(0, names.Length * 4, i => parallel[i % names.Length] = f.ReadBytes(names[i % names.Length]));
        for (int i = 0; i < names.Length; i++) Assert.Equal(serial[i], parallel[i]);
    }

    // ---- hostile pickles ----

    [Fact]
    public void GlobalOsSystem_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Global("os", "system").Mark().Str("echo pwned").Tuple().Reduce()
            .Stop().ToArray()), "GLOBAL (0x63)", "'os.system' is not allowed");

    [Fact]
    public void GlobalBuiltinsEval_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Global("builtins", "eval").Mark().Str("1+1").Tuple().Reduce()
            .Stop().ToArray()), "'builtins.eval' is not allowed");

    [Fact]
    public void StackGlobalOsSystem_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto(4).Op(0x8c, 2).Op("os"u8.ToArray()).Op(0x8c, 6)
            .Op("system"u8.ToArray()).Op(0x93).Stop().ToArray()), "STACK_GLOBAL (0x93)", "'os.system'");

    [Fact]
    public void LoadFromBytes_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Global("torch.storage", "_load_from_bytes").Stop().ToArray()),
            "'torch.storage._load_from_bytes' is not allowed");

    [Theory]
    [InlineData(0xff, "unknown opcode (0xff)")]
    [InlineData((byte)'i', "INST (0x69)")] // INST would instantiate a class by name
    [InlineData(0x81, "NEWOBJ (0x81)")]
    [InlineData((byte)'P', "PERSID (0x50)")]
    public void DisallowedOpcode_IsRejected(byte opcode, string name)
    {
        var e = Fails(Write(new PickleBuilder().Proto().OrderedDict().Op(opcode).Stop().ToArray()),
            name, "not allowed", "offset 29");
        Assert.Null(e.TensorName);
    }

    [Fact]
    public void ReduceOnStorageClass_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop()
            .ToArray()), "REDUCE (0x52)", "cannot call a torch.FloatStorage");

    [Fact]
    public void ReduceOnString_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Str("os.system").Mark().Str("x").Tuple().Reduce().Stop()
            .ToArray()), "REDUCE", "cannot call a str");

    [Fact]
    public void BuildOnTensor_IsRejected()
    {
        var t = TensorSpec.Contiguous("w", "0", 24);
        var p = new PickleBuilder().Proto().Tensor(t).EmptyDict().Op((byte)'b').Stop().ToArray();
        Fails(Write(p, new Dictionary<string, byte[]> { ["0"] = CheckpointZip.Floats(Iota24) }),
            "BUILD", "torch.Tensor");
    }

    [Fact]
    public void UnsupportedStorageDtype_IsRejected() =>
        Fails(WriteIota(new TensorSpec("w", "ShortStorage", "0", 24, 0, [24], [1])),
            "unsupported storage dtype torch.ShortStorage");

    [Fact]
    public void NonTensorValue_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().OrderedDict().Str("w").Int(3).SetItem().Stop().ToArray()),
            "not a state dict", "'w' holds a int");

    [Fact]
    public void TruncatedPickle_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().OrderedDict().Str("w").ToArray()), "ended before STOP");

    [Fact]
    public void StringPastEnd_IsRejected() =>
        Fails(Write(new PickleBuilder().Proto().Op((byte)'X', 0xff, 0xff, 0xff, 0x7f).Stop().ToArray()),
            "BINUNICODE", "runs past the end");

    // ---- malformed archives and views ----

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void TruncatedZip_IsRejected(double keep)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(GoldenPaths.Root,
            "models/mamba1_l2_v256_tied/native/pytorch_model.bin"));
        string path = Path.Combine(_dir, "cut.bin");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        Fails(path, "not a readable zip archive");
    }

    [Fact]
    public void CorruptCentralDirectory_IsRejected()
    {
        string path = WriteIota(TensorSpec.Contiguous("w", "0", 24));
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8); // first central directory header
        bytes[at + 2] = 0x07;
        File.WriteAllBytes(path, bytes);
        Fails(path, "not a readable zip archive");
    }

    [Fact]
    public void LegacyBarePickle_IsRejected()
    {
        string path = Path.Combine(_dir, "legacy.bin");
        File.WriteAllBytes(path, PickleBuilder.StateDict());
        Fails(path, "legacy");
    }

    [Fact]
    public void MissingFile_IsRejected() => Fails(Path.Combine(_dir, "none.bin"), "file not found");

    [Fact]
    public void MissingDataPkl_IsRejected() =>
        Fails(Write([], new Dictionary<string, byte[]> { ["0"] = [1, 2, 3, 4] }, includePickle: false),
            "missing data.pkl");

    [Fact]
    public void MissingStorageEntry_IsRejected()
    {
        var e = Fails(WriteIota(TensorSpec.Contiguous("w", "7", 4)), "missing storage entry 'archive/data/7'");
        Assert.Equal("w", e.TensorName);
    }

    [Fact]
    public void BigEndianByteOrder_IsRejected() =>
        Fails(Write(PickleBuilder.StateDict(), byteOrder: "big"), "byte order 'big'");

    [Fact]
    public void StorageTooSmallForView_IsRejected()
    {
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, 20, [5], [1])), "storage too small", "'w'");
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, 0, [3, 4], [12, 1])), "storage too small");
    }

    [Fact]
    public void StorageEntryShorterThanPersistentId_IsRejected() =>
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 25, 0, [25], [1])),
            "holds 96 bytes", "25 x torch.FloatStorage");

    [Fact]
    public void HugeHeaderValues_AreRejectedBeforeAllocating()
    {
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 1L << 40, 0, [1 << 30, 1 << 10], [1 << 10, 1])),
            "persistent id says 1099511627776");
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, 0, [int.MaxValue, int.MaxValue], [0, 0])),
            "more elements than its storage");
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, 0, [48], [0])), "broadcast");
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, 0, [1L << 31], [1])), "size 2147483648");
        Fails(WriteIota(new TensorSpec("w", "FloatStorage", "0", 24, long.MaxValue, [2], [1])),
            "storage too small");
    }

    [Fact]
    public void CorruptStorageBytes_AreRejectedOnRead()
    {
        string path = WriteIota(TensorSpec.Contiguous("w", "0", 24));
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(CheckpointZip.Floats(Iota24));
        bytes[at + 41] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        using var f = TorchCheckpoint.Open(path); // the directory is intact; the data are checked when read
        var e = Assert.Throws<TorchCheckpointException>(() => f.ReadFloat32("w"));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("'archive/data/0' is corrupt: CRC-32", e.Message);
    }

    [Fact]
    public void CorruptPickleBytes_AreRejectedOnOpen()
    {
        string path = WriteIota(TensorSpec.Contiguous("tensor_name", "0", 24));
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("tensor_name"u8);
        bytes[at] = (byte)'T';
        File.WriteAllBytes(path, bytes);
        Fails(path, "'archive/data.pkl' is corrupt: CRC-32");
    }

    [Fact]
    public void StorageEntryDeclaringMoreThanTheFile_IsRejected()
    {
        string path = WriteIota(TensorSpec.Contiguous("w", "0", 24));
        byte[] bytes = File.ReadAllBytes(path);
        PatchCentralSizes(bytes, "archive/data/0", (uint)bytes.Length * 4);
        File.WriteAllBytes(path, bytes);
        Fails(path, "declares", "more than the whole file");
    }

    /// <summary>Rewrites an entry's compressed and uncompressed sizes in the zip's central directory.</summary>
    private static void PatchCentralSizes(byte[] zip, string entryName, uint size)
    {
        byte[] name = Encoding.ASCII.GetBytes(entryName);
        for (int i = 0; i + 46 < zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) != 0x02014b50) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28));
            if (!zip.AsSpan(i + 46, nameLength).SequenceEqual(name)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 20), size);
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 24), size);
            return;
        }
        throw new InvalidOperationException($"central directory entry {entryName} not found");
    }
}
