using Ssm.Engine.Tensors;

namespace Ssm.Engine.IO;

/// <summary>One tensor of a <c>torch.save</c> state dict: a view into a storage. Element [i0, i1, ..] is storage
/// element <c>StorageOffset + Σ i_k·Strides[k]</c>; reads materialise it in row-major order.</summary>
/// <param name="Name">State-dict key.</param>
/// <param name="DType">Element type (<c>torch.BoolStorage</c> reads as <see cref="DType.UInt8"/> 0/1).</param>
/// <param name="Shape">Tensor sizes.</param>
/// <param name="Strides">Strides in elements, one per dim.</param>
/// <param name="StorageOffset">First element of the view inside its storage.</param>
/// <param name="StorageKey">The storage's key (zip entry <c>&lt;archive&gt;/data/&lt;key&gt;</c>); tensors
/// that share a key share data (e.g. tied embeddings).</param>
/// <param name="StorageType">The storage class, e.g. <c>FloatStorage</c>.</param>
/// <param name="StorageNumel">Elements in the storage.</param>
public sealed record TorchTensorEntry(string Name, DType DType, int[] Shape, long[] Strides, long StorageOffset,
    string StorageKey, string StorageType, long StorageNumel)
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

    /// <summary>True when the view is row-major contiguous (its bytes are one run of the storage).</summary>
    public bool IsContiguous => TorchStorage.IsRowMajor(Shape, Strides);
}
