namespace Ssm.Engine.Conformance;

/// <summary>A dense row-major float32 array with its shape: what golden files store and what family
/// adapters return.</summary>
public sealed record HostArray(int[] Shape, float[] Data)
{
    /// <summary>Size of dimension <paramref name="i"/> (negative counts from the end).</summary>
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>"[2, 3, 4]".</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
