// A zeroed float buffer whose first element sits on a 64-byte boundary. Managed arrays start 8 or 16 bytes into
// a cache line, so a loop storing 512-bit vectors at multiples of 16 floats splits every store across two lines;
// on cores with full-width 512-bit load/store units (Intel) that halves the throughput of store-bound loops.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ssm.Engine.Kernels.Common;

/// <summary>A pinned float buffer of <see cref="Length"/> elements starting at a 64-byte aligned address.</summary>
internal sealed class AlignedFloats
{
    private const int AlignFloats = 16;
    private readonly float[] _array;
    private readonly int _offset;

    public AlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        // Pinned: the object never moves, so the offset computed here stays aligned.
        _array = GC.AllocateArray<float>(length + AlignFloats, pinned: true);
        _offset = AlignedOffset(_array);
        Length = length;
    }

    public int Length { get; }

    /// <summary>The aligned elements.</summary>
    public Span<float> Span => MemoryMarshal.CreateSpan(ref Ref, Length);

    /// <summary>Reference to element 0 (64-byte aligned).</summary>
    public ref float Ref => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset);

    /// <summary>Reference to element <paramref name="index"/> (bounds-checked; per-token code indexes these, so no
    /// span is built per access).</summary>
    public ref float this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length) ThrowIndex(index);
            return ref Unsafe.Add(ref Ref, index);
        }
    }

    private void ThrowIndex(int index) =>
        throw new IndexOutOfRangeException($"index {index} outside an aligned buffer of {Length} elements");

    /// <summary>Elements [start, start + length).</summary>
    public Span<float> AsSpan(int start, int length) => Span.Slice(start, length);

    /// <summary>Elements from <paramref name="start"/> to the end.</summary>
    public Span<float> AsSpan(int start) => Span[start..];

    /// <summary>Lets <c>fixed (float* p = buffer)</c> take the aligned element 0 (the array is pinned anyway).</summary>
    public ref float GetPinnableReference() => ref Ref;

    public void Clear() => Span.Clear();

    private static unsafe int AlignedOffset(float[] pinned)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref pinned[0]);
        return (int)((64 - (address & 63)) & 63) / sizeof(float);
    }
}
