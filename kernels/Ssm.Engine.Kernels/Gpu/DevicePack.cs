// DevicePack is the device-resident twin of HostPack: a kernel's input views are copied device-to-device into one
// buffer (offsets as ints, -1 = absent), so the recurrent kernels launch unchanged on tensors that already live on
// the device. Every view is length-checked against its expected size with an [op]-prefixed message.
using ILGPU;
using ILGPU.Runtime;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Device views packed into one buffer; <see cref="Add"/> returns each view's offset (−1 when an
/// optional view is empty).</summary>
internal sealed class DevicePack(string op)
{
    private readonly List<(ArrayView<float> View, int Offset)> parts = [];

    /// <summary>Total number of floats.</summary>
    public int Length { get; private set; }

    /// <summary>Appends a required view of <paramref name="expected"/> floats.</summary>
    public int Add(string name, ArrayView<float> v, long expected)
    {
        Check(op, name, v, expected);
        return Append(v);
    }

    /// <summary>Appends an optional view (empty = absent, −1) of <paramref name="expected"/> floats.</summary>
    public int AddOptional(string name, ArrayView<float> v, long expected) =>
        v.Length == 0 ? -1 : Add(name, v, expected);

    /// <summary>Reserves <paramref name="n"/> floats that a kernel fills on the device.</summary>
    public int Reserve(int n)
    {
        int offset = Length;
        Length = checked(Length + n);
        return offset;
    }

    private int Append(ArrayView<float> v)
    {
        int offset = Length;
        parts.Add((v, offset));
        Length = checked(Length + (int)v.Length);
        return offset;
    }

    /// <summary>A new device buffer holding every view at its offset (copies enqueued on the stream).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(GpuDevice device)
    {
        var buffer = device.Allocate(Math.Max(1, Length));
        ArrayView<float> all = buffer.View;
        foreach (var (v, offset) in parts)
            if (v.Length > 0) v.CopyTo(device.Stream, all.SubView(offset, v.Length));
        return buffer;
    }

    /// <summary>Throws <c>[op] name holds n values, expected m</c> unless the lengths agree.</summary>
    public static void Check(string op, string name, ArrayView<float> v, long expected)
    {
        if (v.Length != expected)
            throw new ArgumentException($"[{op}] {name} holds {v.Length} values, expected {expected}");
    }

    /// <summary>Copies <paramref name="to"/>.Length floats at <paramref name="offset"/> of
    /// <paramref name="all"/> into <paramref name="to"/> (nothing when <paramref name="to"/> is empty).</summary>
    public static void CopyOut(GpuDevice device, ArrayView<float> all, int offset, ArrayView<float> to)
    {
        if (to.Length > 0 && offset >= 0) all.SubView(offset, to.Length).CopyTo(device.Stream, to);
    }
}
