using System.Text;
using Ssm.Engine.IO;

namespace Ssm.Engine.Tests.IO;

/// <summary>Every malformation gives a typed <see cref="SafetensorsException"/> naming the file (and the
/// tensor where one is involved), never another exception or an allocation the file cannot back.</summary>
public class SafetensorsFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ssm-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteRaw(string header, int dataBytes = 0, ulong? headerLength = null, string name = "t.safetensors")
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new List<byte>(BitConverter.GetBytes(headerLength ?? (ulong)h.Length));
        bytes.AddRange(h);
        bytes.AddRange(new byte[dataBytes]);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    private static SafetensorsException Fails(string path, string? tensor, string messagePart)
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        Assert.StartsWith(path + ": ", e.Message);
        if (tensor != null) Assert.Contains($"tensor '{tensor}'", e.Message);
        Assert.Contains(messagePart, e.Message);
        return e;
    }

    private const string OneF32 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [Fact]
    public void Valid_Minimal_Opens()
    {
        using var f = SafetensorsFile.Open(WriteRaw(OneF32, 8));
        Assert.Equal([0f, 0f], f.ReadFloat32("a"));
    }

    [Fact]
    public void MissingFile_Fails() => Fails(Path.Combine(_dir, "none.safetensors"), null, "file not found");

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void ShorterThan8Bytes_Fails(int length)
    {
        string path = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(path, new byte[length]);
        Fails(path, null, "truncated file");
    }

    [Fact]
    public void DataShorterThanOffsets_Fails() => Fails(WriteRaw(OneF32, 4), "a", "out of range");

    [Theory]
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void HeaderLengthLargerThanFile_Fails(ulong length) =>
        Fails(WriteRaw(OneF32, 8, headerLength: length), null, "is larger than the file");

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    public void InvalidJson_Fails(string header) => Fails(WriteRaw(header), null, "invalid JSON header");

    [Fact]
    public void UnknownDtype_Fails() =>
        Fails(WriteRaw("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "a",
            "unknown dtype 'Q4'");

    [Fact]
    public void OverlappingOffsets_Fail() =>
        Fails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "b", "overlap tensor 'a'");

    [Theory]
    [InlineData("[-4,0]")]
    [InlineData("[8,4]")]
    [InlineData("[0,99999999999999]")]
    public void OffsetsOutOfRange_Fail(string offsets) =>
        Fails(WriteRaw($"{{\"a\":{{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":{offsets}}}}}", 8), "a",
            "out of range");

    [Theory]
    [InlineData("[\"0\",\"8\"]", "not integers")]
    [InlineData("[0.5,8]", "not integers")]
    [InlineData("[0]", "malformed data_offsets")]
    [InlineData("null", "malformed data_offsets")]
    public void OffsetsMalformed_Fail(string offsets, string message) =>
        Fails(WriteRaw($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", 8), "a", message);

    [Theory]
    [InlineData("F32", "[3]", "needs 12 bytes, data_offsets span 8")]
    [InlineData("F64", "[3]", "needs more than the data buffer's 16 bytes")]
    [InlineData("BF16", "[2]", "needs 4 bytes, data_offsets span 8")]
    [InlineData("F32", "[]", "needs 4 bytes, data_offsets span 8")]
    public void ShapeTimesDtypeDiffersFromSpan_Fails(string dtype, string shape, string message) =>
        Fails(WriteRaw($"{{\"a\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[0,8]}}}}", 16), "a",
            message);

    [Theory]
    [InlineData("[-1]", "invalid shape dimension -1")]
    [InlineData("[2147483648]", "invalid shape dimension 2147483648")]
    [InlineData("[1.5]", "invalid shape dimension 1.5")]
    [InlineData("[\"2\"]", "invalid shape dimension \"2\"")]
    [InlineData("[2147483647, 2147483647]", "needs more than the data buffer's 8 bytes")]
    [InlineData("[2147483647, 2147483647, 2147483647, 2147483647, 2147483647]", "needs more than the data buffer")]
    public void BadOrHugeDimensions_FailWithoutAllocating(string shape, string message)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(WriteRaw($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,8]}}}}", 8), "a", message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "the reader allocated for the shape");
    }

    [Fact]
    public void HugeShapeWithZeroDim_IsEmptyTensor()
    {
        using var f = SafetensorsFile.Open(WriteRaw(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647, 0, 2147483647],\"data_offsets\":[0,0]}}"));
        Assert.Empty(f.ReadFloat32("a"));
    }

    [Theory]
    [InlineData("{\"a\": 3}", "entry is not an object")]
    [InlineData("{\"a\": [1]}", "entry is not an object")]
    [InlineData("{\"a\": {\"shape\":[1],\"data_offsets\":[0,4]}}", "missing dtype")]
    [InlineData("{\"a\": {\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "missing shape")]
    public void NonObjectOrIncompleteEntries_Fail(string header, string message) =>
        Fails(WriteRaw(header, 4), "a", message);

    [Theory]
    [InlineData("{\"__metadata__\": 1}", "__metadata__ is not an object")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", "__metadata__ value 'k' is not a string")]
    public void BadMetadata_Fails(string header, string message) => Fails(WriteRaw(header), null, message);

    [Fact]
    public void DuplicateTensorName_Fails() =>
        Fails(WriteRaw("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                       + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2),
            "a", "duplicate tensor name");

    [Fact]
    public void AbsentTensor_And_WrongRawType_NameTheTensor()
    {
        using var f = SafetensorsFile.Open(WriteRaw(OneF32, 8));
        var missing = Assert.Throws<SafetensorsException>(() => f.ReadFloat32("b"));
        Assert.Equal("b", missing.TensorName);
        Assert.Contains("not BF16", Assert.Throws<SafetensorsException>(() => f.ReadBFloat16Raw("a")).Message);
        Assert.Contains("not F16", Assert.Throws<SafetensorsException>(() => f.ReadFloat16Raw("a")).Message);
        Assert.Contains("as an integer tensor", Assert.Throws<SafetensorsException>(() => f.ReadInt64("a")).Message);
    }
}
