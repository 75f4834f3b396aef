using Ssm.Engine.Devices;

namespace Ssm.Engine.Tensors;

public sealed partial class Tensor
{
    /// <summary>Wraps a float32 array (no copy) with the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps a float64 array (no copy) with the given shape.</summary>
    public static Tensor FromArray(double[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps an int32 index array (no copy) with the given shape.</summary>
    public static Tensor FromArray(int[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps an int64 index array (no copy) with the given shape.</summary>
    public static Tensor FromArray(long[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps a float16 array (no copy) with the given shape.</summary>
    public static Tensor FromArray(Half[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps a uint8 mask array (no copy) with the given shape.</summary>
    public static Tensor FromArray(byte[] data, params int[] shape) => Wrap(data, shape);

    /// <summary>Wraps raw bfloat16 bits (no copy) with the given shape.</summary>
    public static Tensor FromBFloat16Bits(ushort[] bits, params int[] shape) => Wrap(bits, shape);

    private static Tensor Wrap(Array data, int[] shape)
    {
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        int n = ShapeUtil.NumEl(shape);
        if (n != data.Length)
            throw new ArgumentException(
                $"[from_array] {data.Length} values do not fill shape {ShapeUtil.Format(shape)}");
        return new Tensor(Storage.Wrap(data), (int[])shape.Clone());
    }

    /// <summary>A new zero-filled tensor.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32) =>
        new(Storage.Allocate(dtype, ShapeUtil.NumEl(shape)), (int[])shape.Clone());

    /// <summary>A new zero-filled float32 tensor.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A new tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A new float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1.0, DType.Float32);

    /// <summary>A new tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        var t = Zeros(shape, dtype);
        if (value != 0) t.Fill(value);
        return t;
    }

    /// <summary>A zero tensor with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape, like.DType);

    /// <summary>[start, start + step, ...) below <paramref name="end"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0) throw new ArgumentException("[arange] step must be non-zero");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Zeros([n], dtype);
        for (int i = 0; i < n; i++) Element.Set(t.Storage, i, start + i * step); // one-off init, not hot
        return t;
    }

    /// <summary>[0, 1, ..., n-1].</summary>
    public static Tensor Arange(int n, DType dtype = DType.Float32) => Arange(0, n, 1, dtype);

    /// <summary>Standard-normal samples (Box–Muller over a seeded <see cref="Random"/>).</summary>
    public static Tensor Randn(int seed, params int[] shape) => Randn(shape, seed, DType.Float32);

    /// <summary>Standard-normal samples of the given dtype.</summary>
    public static Tensor Randn(int[] shape, int seed, DType dtype)
    {
        var rng = new Random(seed);
        var t = Zeros(shape, dtype);
        for (int i = 0; i < t.NumEl; i++) // seeded sequential RNG: order matters for replayability
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            Element.Set(t.Storage, i, Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return t;
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(int seed, params int[] shape) => Rand(shape, seed, DType.Float32);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>) of the given dtype.</summary>
    public static Tensor Rand(int[] shape, int seed, DType dtype, double low = 0, double high = 1)
    {
        var rng = new Random(seed);
        var t = Zeros(shape, dtype);
        for (int i = 0; i < t.NumEl; i++) // seeded sequential RNG: order matters for replayability
            Element.Set(t.Storage, i, low + (high - low) * rng.NextDouble());
        return t;
    }

    /// <summary>Writes <paramref name="value"/> into every element (through views too).</summary>
    public Tensor Fill(double value)
    {
        if (IsContiguous)
        {
            switch (Storage.Data)
            {
                case float[] a: a.AsSpan(Offset, NumEl).Fill((float)value); return this;
                case double[] a: a.AsSpan(Offset, NumEl).Fill(value); return this;
            }
        }
        var one = Zeros([1], DType);
        Element.Set(one.Storage, 0, value);
        StridedCopy.Copy(one.Reshape(ScalarShape(Rank)).ExpandInternal(Shape), this);
        return this;
    }

    private static int[] ScalarShape(int rank)
    {
        var s = new int[rank];
        Array.Fill(s, 1);
        return s;
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape) into this tensor's elements,
    /// writing through views. Not recorded by autograd.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        var src = source.DType == DType ? source : source.Detach().To(DType);
        if (Device.IsGpu() || src.Device.IsGpu())
        {
            Ops.DeviceOps.CopyInto("copy", src.Detach().ExpandInternal(Shape), this);
            return this;
        }
        StridedCopy.Copy(src.Detach().ExpandInternal(Shape), this);
        return this;
    }

    /// <summary>A copy converted to <paramref name="dtype"/> (differentiable between floating dtypes).</summary>
    public Tensor To(DType dtype) => Ops.F.Cast(this, dtype);
}
