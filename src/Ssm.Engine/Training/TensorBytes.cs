using System.Runtime.InteropServices;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>Exact (bit-preserving) conversion between tensors and safetensors entries for checkpoints.</summary>
internal static class TensorBytes
{
    /// <summary>A safetensors entry holding the tensor's elements in its own dtype.</summary>
    public static SafetensorsTensor ToEntry(string name, Tensor t)
    {
        var c = t.Detach().Contiguous();
        return t.DType switch
        {
            DType.Float32 => SafetensorsTensor.FromValues<float>(name, t.DType, t.Shape, c.Span<float>()),
            DType.Float64 => SafetensorsTensor.FromValues<double>(name, t.DType, t.Shape, c.Span<double>()),
            DType.Float16 => SafetensorsTensor.FromValues<Half>(name, t.DType, t.Shape, c.Span<Half>()),
            DType.BFloat16 => SafetensorsTensor.FromValues<ushort>(name, t.DType, t.Shape, c.Span<ushort>()),
            DType.Int32 => SafetensorsTensor.FromValues<int>(name, t.DType, t.Shape, c.Span<int>()),
            DType.Int64 => SafetensorsTensor.FromValues<long>(name, t.DType, t.Shape, c.Span<long>()),
            _ => SafetensorsTensor.FromValues<byte>(name, t.DType, t.Shape, c.Span<byte>()),
        };
    }

    /// <summary>Copies stored tensor <paramref name="name"/> into <paramref name="target"/> (same shape). The
    /// bytes are copied verbatim when the source is a safetensors file with the target's dtype, so restored
    /// values are bit-identical; otherwise the values are widened through float32.</summary>
    public static void ReadInto(ITensorSource source, string name, Tensor target)
    {
        var (dtype, shape) = source.Describe(name);
        if (!shape.AsSpan().SequenceEqual(target.Shape))
            throw new ArgumentException($"[checkpoint] '{name}' is {ShapeUtil.Format(shape)} in "
                + $"{source.SourcePath}, expected {ShapeUtil.Format(target.Shape)}");
        if (source is SafetensorsFile file && dtype == target.DType && target.IsContiguous)
        {
            switch (dtype)
            {
                case DType.Float32:
                    MemoryMarshal.Cast<byte, float>(file.ReadBytes(name)).CopyTo(target.Span<float>());
                    return;
                case DType.Float64:
                    MemoryMarshal.Cast<byte, double>(file.ReadBytes(name)).CopyTo(target.Span<double>());
                    return;
            }
        }
        target.CopyFrom(Tensor.FromArray(source.ReadFloat32(name), shape));
    }

    /// <summary>A tensor of int64 values (step counters, generator states).</summary>
    public static SafetensorsTensor Int64Entry(string name, ReadOnlySpan<long> values) =>
        SafetensorsTensor.FromValues(name, DType.Int64, [values.Length], values);

    /// <summary>Reads an int64 vector written by <see cref="Int64Entry"/>.</summary>
    public static long[] ReadInt64(SafetensorsFile file, string name) => file.ReadInt64(name);

    /// <summary>A float64 vector (exact scalars such as a learning rate).</summary>
    public static SafetensorsTensor Float64Entry(string name, ReadOnlySpan<double> values) =>
        SafetensorsTensor.FromValues(name, DType.Float64, [values.Length], values);
}
