using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>A read-only, named collection of stored tensors: one safetensors file, a sharded set, or a
/// PyTorch <c>pytorch_model.bin</c>. Checkpoint loaders read weights through this interface only, so
/// every storage format feeds the same model-building code.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>Where the tensors come from (a file or directory), for error messages.</summary>
    string SourcePath { get; }

    /// <summary>Names of all stored tensors.</summary>
    IEnumerable<string> TensorNames { get; }

    /// <summary>True when a tensor of that name is stored.</summary>
    bool Contains(string name);

    /// <summary>Stored dtype and shape of a tensor; throws naming the source and tensor when absent.</summary>
    (DType DType, int[] Shape) Describe(string name);

    /// <summary>Reads a floating-point tensor widened to float32.</summary>
    float[] ReadFloat32(string name);

    /// <summary>Reads a BF16 tensor as its raw 16-bit patterns (kept half-size in memory).</summary>
    ushort[] ReadBFloat16Raw(string name);
}
