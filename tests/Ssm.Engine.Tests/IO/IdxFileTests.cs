using System.IO.Compression;
using Ssm.Engine.IO;

namespace Ssm.Engine.Tests.IO;

public class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteRaw(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        if (name.EndsWith(".gz"))
        {
            using var fs = File.Create(path);
            using var gz = new GZipStream(fs, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Header(byte type, params int[] dims)
    {
        var b = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (int d in dims) b.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return [.. b];
    }

    [Theory]
    [InlineData("a.idx3-ubyte.gz")]
    [InlineData("a.idx3-ubyte")]
    public void WriteThenRead_RoundTrips(string name)
    {
        var data = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 7)).ToArray();
        string path = Path.Combine(_dir, name);
        IdxFile.Write(path, new IdxArray([3, 4, 5], data));
        var a = IdxFile.Read(path, rank: 3);
        Assert.Equal([3, 4, 5], a.Dims);
        Assert.Equal(data, a.Data);
    }

    [Fact]
    public void Read_ParsesBigEndianDims()
    {
        var bytes = Header(0x08, 300, 2).Concat(new byte[600]).ToArray();
        var a = IdxFile.Read(WriteRaw("big.gz", bytes));
        Assert.Equal([300, 2], a.Dims);
    }

    public static IEnumerable<object[]> Malformed =>
    [
        ["short.gz", new byte[] { 0, 0 }, "magic", "shorter"],
        ["notidx.gz", new byte[] { 0x1f, 0x8b, 8, 1, 0, 0, 0, 1, 0 }, "magic", "two zero bytes"],
        ["float.gz", Header(0x0D, 1).Concat(new byte[4]).ToArray(), "magic", "type code 0x0D"],
        ["rank.gz", Header(0x08, 2, 2).Concat(new byte[4]).ToArray(), "magic", "2 dimensions"],
        ["dims.gz", Header(0x08, 2, 2, 2)[..8], "dims", "ends inside"],
        ["zero.gz", Header(0x08, 0, 2, 2), "dims[0]", "not positive"],
        ["negative.gz", Header(0x08, 1, -2, 2), "dims[1]", "not positive"],
        ["truncated.gz", Header(0x08, 2, 2, 2).Concat(new byte[7]).ToArray(), "data", "7 bytes, expected 8"],
        ["long.gz", Header(0x08, 2, 2, 2).Concat(new byte[9]).ToArray(), "data", "more than the expected 8"],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Read_MalformedFile_NamesFileAndField(string name, byte[] bytes, string field, string problem)
    {
        string path = WriteRaw(name, bytes);
        var e = Assert.Throws<IdxFormatException>(() => IdxFile.Read(path, rank: 3));
        Assert.Equal(field, e.Field);
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Read_CorruptGzip_NamesFileAndGzip()
    {
        string path = Path.Combine(_dir, "corrupt.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<IdxFormatException>(() => IdxFile.Read(path));
        Assert.Equal("gzip", e.Field);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Read_MissingFile_NamesIt()
    {
        string path = Path.Combine(_dir, "absent.gz");
        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Write_DimsNotMatchingData_Throws() =>
        Assert.Throws<ArgumentException>(() => IdxFile.Write(Path.Combine(_dir, "x"), new IdxArray([2, 2], [1, 2])));
}
