namespace Ssm.Engine.Tensors;

/// <summary>Element types a tensor or a safetensors entry can hold.</summary>
public enum DType
{
    Float32,
    Float64,
    Float16,
    BFloat16,
    Int32,
    Int64,
    UInt8,
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.Float16 or DType.BFloat16 => 2,
        DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>The safetensors spelling ("F32", "BF16", ...).</summary>
    public static string SafetensorsName(DType t) => t switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.UInt8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype name; false for names the engine does not read.</summary>
    public static bool TryParseSafetensors(string name, out DType t)
    {
        switch (name)
        {
            case "F32": t = DType.Float32; return true;
            case "F64": t = DType.Float64; return true;
            case "F16": t = DType.Float16; return true;
            case "BF16": t = DType.BFloat16; return true;
            case "I32": t = DType.Int32; return true;
            case "I64": t = DType.Int64; return true;
            case "U8": t = DType.UInt8; return true;
            default: t = default; return false;
        }
    }
}
