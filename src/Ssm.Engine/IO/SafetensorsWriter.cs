using System.Text;
using System.Text.Json;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>One tensor to write: name, dtype, shape and its raw little-endian bytes.</summary>
public sealed record SafetensorsTensor(string Name, DType DType, int[] Shape, byte[] Data)
{
    /// <summary>A float32 tensor.</summary>
    public static SafetensorsTensor FromFloat32(string name, int[] shape, ReadOnlySpan<float> data) =>
        new(name, DType.Float32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).ToArray());

    /// <summary>A tensor of any dtype from values whose in-memory size matches it (float for F32, double for
    /// F64, Half for F16, ushort bit patterns for BF16, int for I32, long for I64, byte for U8).</summary>
    public static SafetensorsTensor FromValues<T>(string name, DType dtype, int[] shape, ReadOnlySpan<T> data)
        where T : unmanaged
    {
        if (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() != DTypeInfo.SizeOf(dtype))
            throw new ArgumentException($"tensor '{name}': {typeof(T).Name} values cannot be stored as {dtype}",
                nameof(data));
        return new(name, dtype, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).ToArray());
    }
}

/// <summary>Writes safetensors files atomically (a temporary file beside the target, then a rename).</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> in order with an optional <c>__metadata__</c> map.</summary>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                if (!names.Add(t.Name))
                    throw new ArgumentException($"duplicate tensor name '{t.Name}'", nameof(tensors));
                string shapeText = $"[{string.Join(", ", t.Shape)}]";
                if (t.Shape.Any(d => d < 0))
                    throw new ArgumentException($"tensor '{t.Name}': negative dimension in {shapeText}",
                        nameof(tensors));
                long elements = 1;
                foreach (int d in t.Shape) elements = checked(elements * d);
                if (elements * DTypeInfo.SizeOf(t.DType) != t.Data.Length)
                    throw new ArgumentException(
                        $"tensor '{t.Name}': shape {shapeText} x {t.DType} needs "
                        + $"{elements * DTypeInfo.SizeOf(t.DType)} bytes, got {t.Data.Length}",
                        nameof(tensors));
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", DTypeInfo.SafetensorsName(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.Length;
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        AtomicFile.Write(path, fs =>
        {
            fs.Write(BitConverter.GetBytes((ulong)ms.Length));
            ms.Position = 0;
            ms.CopyTo(fs);
            foreach (var t in list) fs.Write(t.Data);
        });
    }
}
