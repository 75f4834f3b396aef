using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Ops;

namespace Ssm.Engine.Tensors;

/// <summary>An n-dimensional strided view over a <see cref="Tensors.Storage"/>, with reverse-mode autograd.
/// Views (reshape, permute, slice, narrow, flip, expand) share storage; ops live in <see cref="F"/>;
/// gradients flow through <see cref="Backward()"/> into <see cref="Grad"/> of leaves with
/// <see cref="RequiresGrad"/>.</summary>
/// <example><code>
/// var w = Tensor.Randn(seed: 1, 3, 2).WithRequiresGrad();
/// var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 1, 3);
/// var loss = F.Sum(F.Tanh(F.MatMul(x, w)));
/// loss.Backward();            // w.Grad now holds dloss/dw, shape [3, 2]
/// </code></example>
public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>The buffer this tensor views.</summary>
    public Storage Storage { get; }

    /// <summary>Dimensions; [] for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>Element strides per dimension (0 for broadcast dimensions, negative after a flip).</summary>
    public int[] Strides { get; }

    /// <summary>Element offset of index (0, ..., 0) in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>Where the data lives: <see cref="DeviceSpec.Cpu"/>, or the ILGPU device a float32 tensor was
    /// moved to with <see cref="To(DeviceSpec)"/>.</summary>
    public DeviceSpec Device => Storage.Device;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of elements.</summary>
    public int NumEl { get; }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user (no <see cref="GradFn"/>).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward()"/> (null until then).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>Whether gradients flow to (leaf) or through (non-leaf) this tensor. Only leaves of a
    /// floating dtype may be set.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf) throw new InvalidOperationException("[requires_grad] can only be set on leaf tensors");
            if (value && !IsFloating(DType))
                throw new InvalidOperationException($"[requires_grad] {DType} tensors cannot require gradients");
            _requiresGrad = value;
        }
    }

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        Shape = shape;
        Strides = strides;
        Offset = offset;
        NumEl = ShapeUtil.NumEl(shape);
    }

    internal Tensor(Storage storage, int[] shape) : this(storage, shape, ShapeUtil.ContiguousStrides(shape), 0) { }

    internal void MarkRequiresGrad() => _requiresGrad = true;

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (for fluent parameter creation).</summary>
    public Tensor WithRequiresGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>True when elements are laid out row-major without gaps (from <see cref="Offset"/>).</summary>
    public bool IsContiguous
    {
        get
        {
            int expect = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] == 1) continue;
                if (Strides[i] != expect) return false;
                expect *= Shape[i];
            }
            return true;
        }
    }

    /// <summary>Size of one dimension (negative counts from the end).</summary>
    public int Size(int dim) => Shape[ShapeUtil.Axis("size", dim, Rank)];

    /// <summary>The typed storage array (all of it; index with <see cref="Offset"/> and <see
    /// cref="Strides"/>).</summary>
    public T[] Data<T>() => Storage.As<T>();

    /// <summary>The elements of a contiguous tensor as a span (throws on non-contiguous tensors).</summary>
    public Span<T> Span<T>()
    {
        if (!IsContiguous) throw new InvalidOperationException(
            "[span] tensor is not contiguous; call Contiguous() first");
        return Storage.As<T>().AsSpan(Offset, NumEl);
    }

    /// <summary>Storage position of a multi-index.</summary>
    internal int Position(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"[index] {index.Length} indices for a tensor of rank {Rank}");
        int p = Offset;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i])
                throw new IndexOutOfRangeException(
                    $"[index] index {index[i]} out of range for dim {i} of size {Shape[i]}");
            p += index[i] * Strides[i];
        }
        return p;
    }

    /// <summary>Reads or writes one element as a double (writes go through views into shared storage).
    /// For tests and diagnostics, not for hot loops.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public double this[params int[] index]
    {
        get => Element.Get(Storage, Position(index));
        set => Element.Set(Storage, Position(index), value);
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public double Item()
    {
        if (NumEl != 1) throw new InvalidOperationException(
            $"[item] tensor of shape {ShapeUtil.Format(Shape)} has {NumEl} elements");
        return Element.Get(Storage, Position(new int[Rank]));
    }

    /// <summary>The elements in row-major order, converted to float32.</summary>
    public float[] ToArray()
    {
        var c = Contiguous();
        var o = new float[NumEl];
        for (int i = 0; i < o.Length; i++) o[i] = (float)Element.Get(c.Storage, c.Offset + i); // any dtype; not hot
        return o;
    }

    /// <summary>The elements in row-major order as the native element type <typeparamref name="T"/>.</summary>
    public T[] ToArray<T>() => Contiguous().Span<T>().ToArray();

    /// <summary>The elements converted to float64 (gradient checks, comparisons).</summary>
    public double[] ToDoubleArray()
    {
        var c = Contiguous();
        var o = new double[NumEl];
        for (int i = 0; i < o.Length; i++) o[i] = Element.Get(c.Storage, c.Offset + i); // any dtype; not hot
        return o;
    }

    /// <summary>Runs reverse-mode differentiation from this scalar tensor, accumulating into the
    /// <see cref="Grad"/> of every leaf that requires gradients.</summary>
    public void Backward() => Backprop.Run(this, null);

    /// <summary>Reverse-mode differentiation seeded with <paramref name="gradient"/> (same shape as this).</summary>
    public void Backward(Tensor gradient) => Backprop.Run(this, gradient);

    /// <summary>A tensor sharing this storage with no autograd history.</summary>
    public Tensor Detach() => new(Storage, Shape, Strides, Offset);

    /// <summary>True for Float32, Float64, Float16 and BFloat16.</summary>
    public static bool IsFloating(DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;

    /// <inheritdoc/>
    public override string ToString()
    {
        string head = $"Tensor({ShapeUtil.Format(Shape)}, {DType}";
        if (Device.IsGpu()) return head + $", {Device})"; // printing must not read device memory
        if (NumEl > 16) return head + ")";
        return head + ", [" + string.Join(", ", ToDoubleArray().Select(v => v.ToString("G6"))) + "])";
    }

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => F.Neg(a);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => F.Add(a, a.Scalar(b));
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => F.Sub(a, a.Scalar(b));
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => F.Mul(a, a.Scalar(b));
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => F.Div(a, a.Scalar(b));
    /// <summary>Scalar plus tensor.</summary>
    public static Tensor operator +(double a, Tensor b) => F.Add(b.Scalar(a), b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => F.Sub(b.Scalar(a), b);
    /// <summary>Scalar times tensor.</summary>
    public static Tensor operator *(double a, Tensor b) => F.Mul(b.Scalar(a), b);
    /// <summary>Scalar over tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => F.Div(b.Scalar(a), b);

    /// <summary>A 0-d tensor of this tensor's dtype and device holding <paramref name="value"/>.</summary>
    public Tensor Scalar(double value) => Device.IsGpu() ? Full([], value, DType).To(Device) : Full([], value, DType);
}
