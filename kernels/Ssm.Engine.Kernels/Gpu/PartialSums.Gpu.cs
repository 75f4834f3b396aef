// Shared plumbing of the recurrent GPU kernels (selective scan, state update, SSD).
// HostPack concatenates a kernel's host arrays into one upload (offsets as ints, -1 = absent), so a kernel takes
// one input view, one output view and a struct of ints whatever the number of optional tensors.
// PartialSums reduces per-thread gradient partials in a fixed order: the backward kernels write one partial per
// thread instead of using floating-point atomics, and SumKernel adds them up (one thread per output, k = 0, 1, …),
// so two runs on one device are bit-identical.
using ILGPU;
using ILGPU.Runtime;

namespace Ssm.Engine.Kernels.Gpu;

/// <summary>Host arrays packed into one buffer; <see cref="Add"/> returns each array's offset (−1 for
/// null).</summary>
internal sealed class HostPack
{
    private readonly List<(float[]? Data, int Offset, int Length)> parts = [];

    /// <summary>Total number of floats.</summary>
    public int Length { get; private set; }

    /// <summary>Appends <paramref name="a"/> (a copy is made at <see cref="ToArray"/>); −1 when null.</summary>
    public int Add(float[]? a) => a is null ? -1 : Append(a, a.Length);

    /// <summary>Reserves <paramref name="n"/> zero floats.</summary>
    public int Reserve(int n) => Append(null, n);

    /// <summary>Reserves <paramref name="n"/> floats when <paramref name="when"/>, else returns −1.</summary>
    public int ReserveIf(bool when, int n) => when ? Reserve(n) : -1;

    private int Append(float[]? data, int n)
    {
        int offset = Length;
        parts.Add((data, offset, n));
        Length = checked(Length + n);
        return offset;
    }

    /// <summary>The packed contents (at least one float, so an empty pack still uploads).</summary>
    public float[] ToArray()
    {
        var all = new float[Math.Max(1, Length)];
        foreach (var (data, offset, _) in parts) data?.CopyTo(all, offset);
        return all;
    }

    /// <summary>Uploads the pack to <paramref name="device"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(GpuDevice device) => device.Upload(ToArray());

    /// <summary>Downloads a whole buffer (waits for every launch enqueued before).</summary>
    public static float[] Download(GpuDevice device, MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        var all = new float[buffer.Length];
        device.Download(buffer.View, all);
        return all;
    }

    /// <summary>Copies <paramref name="to"/>.Length floats at <paramref name="offset"/> of
    /// <paramref name="all"/> into <paramref name="to"/> (nothing when <paramref name="to"/> is null).</summary>
    public static void CopyOut(float[] all, int offset, float[]? to)
    {
        if (to is not null && offset >= 0) Array.Copy(all, offset, to, 0, to.Length);
    }
}

/// <summary>Layout of one strided sum: dst[DstOffset + j] = Σ_{k &lt; Count} src[SrcOffset + base(j) + k·Stride] with
/// base(j) = (j / Inner)·OuterStride + j % Inner.</summary>
internal struct SumParams
{
    public int Inner, OuterStride, Stride, Count, SrcOffset, DstOffset;
}

/// <summary>Deterministic reductions of per-thread partials.</summary>
internal static class PartialSums
{
    /// <summary>Enqueues <paramref name="outputs"/> strided sums (see <see cref="SumParams"/>).</summary>
    public static void Sum(GpuDevice device, ArrayView<float> src, ArrayView<float> dst, int outputs, SumParams p)
    {
        if (outputs <= 0) return;
        device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, SumParams>(SumKernel)(
            device.Stream, outputs, src, dst, p);
    }

    /// <summary>Sums <paramref name="count"/> blocks of <paramref name="inner"/> floats that follow each other
    /// (e.g. per-batch partials of a (D, N) parameter).</summary>
    public static void SumBlocks(GpuDevice device, ArrayView<float> src, int srcOffset, ArrayView<float> dst,
        int dstOffset, int inner, int count) =>
        Sum(device, src, dst, inner, new SumParams
        {
            Inner = inner, OuterStride = 0, Stride = inner, Count = count, SrcOffset = srcOffset,
            DstOffset = dstOffset,
        });

    // src, dst: flat views; one thread per output j, partials added in order k = 0 .. Count-1.
    [GpuKernel]
    internal static void SumKernel(Index1D j, ArrayView<float> src, ArrayView<float> dst, SumParams p)
    {
        int baseIndex = p.SrcOffset + j / p.Inner * p.OuterStride + j % p.Inner;
        float acc = 0f;
        for (int k = 0; k < p.Count; k++) acc += src[baseIndex + k * p.Stride];
        dst[p.DstOffset + j] = acc;
    }
}
