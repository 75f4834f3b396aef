using System.Buffers.Binary;
using System.IO.Compression;

namespace Ssm.Engine.IO;

/// <summary>An IDX array of unsigned bytes (the MNIST / Fashion-MNIST format): its dimensions and its data in
/// row-major order.</summary>
public sealed record IdxArray(int[] Dims, byte[] Data);

/// <summary>Thrown when an IDX file is malformed; the message names the file and the field.</summary>
public sealed class IdxFormatException(string path, string field, string problem)
    : IOException($"[idx] {path}: {field}: {problem}")
{
    /// <summary>The file.</summary>
    public string FilePath { get; } = path;

    /// <summary>The offending field (<c>magic</c>, <c>dims[1]</c>, <c>data</c>, ...).</summary>
    public string Field { get; } = field;
}

/// <summary>Reads IDX files (gzip-compressed when the name ends in <c>.gz</c>): a big-endian header — two zero
/// bytes, the type code (0x08 = unsigned byte), the number of dimensions — then one big-endian int32 per dimension,
/// then exactly Π dims bytes. Every field is checked; errors name the file and the field.</summary>
public static class IdxFile
{
    /// <summary>Type code of unsigned-byte data.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/>; <paramref name="rank"/> (when given) is the required number of
    /// dimensions.</summary>
    public static IdxArray Read(string path, int? rank = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"[idx] {path} does not exist", path);
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return Read(s, path, rank);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, "gzip", e.Message);               // corrupt compressed stream
        }
    }

    /// <summary>Reads an IDX array from <paramref name="s"/>; <paramref name="path"/> names it in errors.</summary>
    public static IdxArray Read(Stream s, string path, int? rank = null)
    {
        var header = new byte[4];
        if (ReadFull(s, header) < 4) throw new IdxFormatException(path, "magic", "file shorter than the 4-byte magic");
        if (header[0] != 0 || header[1] != 0)
            throw new IdxFormatException(path, "magic", $"0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8} does " +
                "not start with two zero bytes (not an IDX file)");
        if (header[2] != UnsignedByte)
            throw new IdxFormatException(path, "magic", $"type code 0x{header[2]:X2} is not 0x08 (unsigned byte)");
        int n = header[3];
        if (n == 0 || (rank is { } r && n != r))
            throw new IdxFormatException(path, "magic",
                $"{n} dimensions (magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8}), expected {rank ?? 1}+");
        var dimBytes = new byte[4 * n];
        if (ReadFull(s, dimBytes) < dimBytes.Length)
            throw new IdxFormatException(path, "dims", $"file ends inside the {n} dimension sizes");
        var dims = new int[n];
        long total = 1;
        for (int i = 0; i < n; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (dims[i] <= 0) throw new IdxFormatException(path, $"dims[{i}]", $"size {dims[i]} is not positive");
            total *= dims[i];
            if (total > Array.MaxLength) throw new IdxFormatException(path, "dims", $"{total}+ bytes is too large");
        }
        var data = new byte[total];
        int got = ReadFull(s, data);
        if (got < total)
            throw new IdxFormatException(path, "data", $"{got} bytes, expected {total} ({string.Join("×", dims)})");
        if (s.ReadByte() >= 0)
            throw new IdxFormatException(path, "data",
                $"more than the expected {total} bytes ({string.Join("×", dims)})");
        return new IdxArray(dims, data);
    }

    /// <summary>Writes an unsigned-byte IDX file (gzip when the name ends in <c>.gz</c>) atomically.</summary>
    public static void Write(string path, IdxArray array)
    {
        long total = array.Dims.Aggregate(1L, (a, d) => a * d);
        if (array.Dims.Length is 0 or > 255 || total != array.Data.Length)
            throw new ArgumentException($"[idx] dims {string.Join("×", array.Dims)} do not match {array.Data.Length} " +
                "bytes");
        AtomicFile.Write(path, fs =>
        {
            using var gz = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(fs, CompressionLevel.Fastest, leaveOpen: true) : null;
            Stream s = gz ?? (Stream)fs;
            s.Write([0, 0, UnsignedByte, (byte)array.Dims.Length]);
            var d = new byte[4];
            foreach (int dim in array.Dims)
            {
                BinaryPrimitives.WriteInt32BigEndian(d, dim);
                s.Write(d);
            }
            s.Write(array.Data);
        });
    }

    private static int ReadFull(Stream s, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
