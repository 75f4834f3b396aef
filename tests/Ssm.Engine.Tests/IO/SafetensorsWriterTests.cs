using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Tests.IO;

public class SafetensorsWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ssm-stw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RoundTrip_EveryDtype_WithMetadata()
    {
        var rng = new Random(1234);
        float[] f32 = Enumerable.Range(0, 6).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        double[] f64 = [Math.PI, -1e300, 0.1];
        Half[] f16 = [(Half)1.5f, (Half)(-0.25f), Half.MaxValue];
        ushort[] bf16 = [0x3F80, 0xC040, 0x7F80]; // 1, -3, +inf
        long[] i64 = [long.MinValue, 0, long.MaxValue];
        int[] i32 = [-7, 42];
        byte[] u8 = [0, 128, 255];
        var md = new Dictionary<string, string> { ["format"] = "mamba-oracle-1", ["params"] = "{\"L\": 3}" };
        string path = Path.Combine(_dir, "all.safetensors");
        SafetensorsWriter.Write(path,
        [
            SafetensorsTensor.FromFloat32("f32", [2, 3], f32),
            SafetensorsTensor.FromValues<double>("f64", DType.Float64, [3], f64),
            SafetensorsTensor.FromValues<Half>("f16", DType.Float16, [3], f16),
            SafetensorsTensor.FromValues<ushort>("bf16", DType.BFloat16, [1, 3], bf16),
            SafetensorsTensor.FromValues<long>("i64", DType.Int64, [3], i64),
            SafetensorsTensor.FromValues<int>("i32", DType.Int32, [2], i32),
            SafetensorsTensor.FromValues<byte>("u8", DType.UInt8, [3], u8),
            SafetensorsTensor.FromFloat32("scalar", [], [7f]),
            SafetensorsTensor.FromFloat32("empty", [0, 4], []),
        ], md);

        using var f = SafetensorsFile.Open(path);
        Assert.Equal(md, f.Metadata);
        Assert.Equal(["f32", "f64", "f16", "bf16", "i64", "i32", "u8", "scalar", "empty"],
            f.Entries.Select(e => e.Name));
        Assert.Equal([2, 3], f.GetEntry("f32").Shape);
        Assert.Equal(f32, f.ReadFloat32("f32"));
        Assert.Equal(f64, f.ReadFloat64("f64"));
        Assert.Equal(f16, f.ReadFloat16Raw("f16"));
        Assert.Equal([1.5f, -0.25f, 65504f], f.ReadFloat32("f16"));
        Assert.Equal(bf16, f.ReadBFloat16Raw("bf16"));
        Assert.Equal([1f, -3f, float.PositiveInfinity], f.ReadFloat32("bf16"));
        Assert.Equal(i64, f.ReadInt64("i64"));
        Assert.Equal([-7L, 42L], f.ReadInt64("i32"));
        Assert.Equal([0L, 128L, 255L], f.ReadInt64("u8"));
        Assert.Equal(u8, f.ReadBytes("u8"));
        Assert.Equal([7f], f.ReadFloat32("scalar"));
        Assert.Empty(f.ReadFloat32("empty"));
        Assert.Equal(DType.BFloat16, f.GetEntry("bf16").DType);
    }

    [Fact]
    public void Header_IsPaddedToMultipleOf8_AndDataIsContiguous()
    {
        string path = Path.Combine(_dir, "p.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.FromValues<byte>("x", DType.UInt8, [3], [1, 2, 3]),
            SafetensorsTensor.FromFloat32("y", [1], [2f])]);
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        Assert.Equal((long)(8 + n + 7), bytes.LongLength);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal((3L, 7L), (f.GetEntry("y").Begin, f.GetEntry("y").End));
    }

    [Fact]
    public void InvalidTensors_AreRejectedBeforeWriting()
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            [SafetensorsTensor.FromFloat32("a", [3], [1f, 2f])]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            [SafetensorsTensor.FromFloat32("a", [1], [1f]), SafetensorsTensor.FromFloat32("a", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromValues<int>("a", DType.Float64, [1], [1]));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Overwrite_ReplacesTheFile_LeavingNoTemporary()
    {
        string path = Path.Combine(_dir, "w.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.FromFloat32("a", [1], [1f])]);
        SafetensorsWriter.Write(path, [SafetensorsTensor.FromFloat32("b", [2], [2f, 3f])]);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(["b"], f.Entries.Select(e => e.Name));
        Assert.Equal(["w.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}
