using Ssm.Engine.Devices;

namespace Ssm.Engine.Tensors;

/// <summary>The flat typed buffer behind one or more tensors (views share a storage).
/// Float32 → <c>float[]</c>, Float64 → <c>double[]</c>, Int32 → <c>int[]</c>, Int64 → <c>long[]</c>,
/// BFloat16 → <c>ushort[]</c> (raw bits), Float16 → <c>Half[]</c>, UInt8 (masks) → <c>byte[]</c>.
/// A float32 storage may instead live on an ILGPU device (<see cref="Device"/> is then not <c>cpu</c>): its
/// elements are not host-readable and <see cref="Data"/> throws; <see cref="Dispose"/> frees the device memory.
/// </summary>
public sealed class Storage : IDisposable
{
    private readonly Array? data;

    /// <summary>Element type of <see cref="Data"/>.</summary>
    public DType DType { get; }

    /// <summary>The typed host array; throws <see cref="InvalidOperationException"/> for a device storage.</summary>
    public Array Data => data ?? throw new InvalidOperationException(
        $"[tensor] data lives on {Device}; call .To(DeviceSpec.Cpu) first to read it on the host");

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Where the elements live.</summary>
    public DeviceSpec Device => DeviceBuffer?.Spec ?? DeviceSpec.Cpu;

    /// <summary>True once <see cref="Dispose"/> released a device buffer.</summary>
    public bool IsDisposed => DeviceBuffer?.IsDisposed ?? false;

    internal DeviceBuffer? DeviceBuffer { get; }

    private Storage(DType dtype, Array data)
    {
        DType = dtype;
        this.data = data;
        Length = data.Length;
    }

    private Storage(DeviceBuffer buffer)
    {
        DType = DType.Float32;
        DeviceBuffer = buffer;
        Length = checked((int)buffer.Length);
    }

    internal static Storage OnDevice(DeviceBuffer buffer) => new(buffer);

    /// <summary>Frees a device buffer now (idempotent); a host storage has nothing to free (the GC owns it).</summary>
    public void Dispose() => DeviceBuffer?.Dispose();

    /// <summary>Wraps an existing array (no copy); the dtype follows the element type.</summary>
    public static Storage Wrap(Array data) => new(DTypeOf(data), data);

    /// <summary>Allocates a zeroed buffer.</summary>
    public static Storage Allocate(DType dtype, int length) => new(dtype, dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int32 => new int[length],
        DType.Int64 => new long[length],
        DType.BFloat16 => new ushort[length],
        DType.Float16 => new Half[length],
        DType.UInt8 => new byte[length],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "[storage] unknown dtype"),
    });

    /// <summary>The array as <typeparamref name="T"/>[]; throws a clear error on a dtype mismatch.</summary>
    public T[] As<T>() => Data as T[] ?? throw new InvalidOperationException(
        $"[storage] storage holds {DType}, requested {typeof(T).Name}");

    /// <summary>The dtype for an array's element type.</summary>
    public static DType DTypeOf(Array data) => data switch
    {
        float[] => DType.Float32,
        double[] => DType.Float64,
        int[] => DType.Int32,
        long[] => DType.Int64,
        ushort[] => DType.BFloat16,
        Half[] => DType.Float16,
        byte[] => DType.UInt8,
        _ => throw new ArgumentException($"[storage] unsupported element type {data.GetType().Name}"),
    };
}
