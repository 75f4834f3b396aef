using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>One tensor described by a safetensors header. Offsets are relative to the data buffer.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>Bytes the tensor occupies.</summary>
    public long ByteLength => End - Begin;
}
