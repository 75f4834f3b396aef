using System.Buffers;
using System.Numerics;
using Ssm.Engine.Devices;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

/// <summary>A unary elementwise kernel over contiguous spans (TensorPrimitives / Vector code).</summary>
internal interface IUnaryOp
{
    void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A binary elementwise kernel in its three span/scalar forms (the scalar forms serve broadcasts).</summary>
internal interface IBinaryOp
{
    void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
    void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
    void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Runs operator structs over tensors: float32/float64 dispatch, contiguous chunks of at least
/// <see cref="Par.Grain"/> elements in parallel, and broadcasting without materialising the broadcast
/// operand.</summary>
internal static class ElementwiseDriver
{
    public static void CheckFloat(string op, Tensor t)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"[{op}] expects a Float32 or Float64 tensor, got {t.DType}");
    }

    public static void CheckSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"[{op}] dtype mismatch: {a.DType} {ShapeUtil.Format(a.Shape)} and " +
                $"{b.DType} {ShapeUtil.Format(b.Shape)}; convert with To(dtype) first");
    }

    /// <summary>y = op(x) as a new contiguous tensor (no autograd).</summary>
    public static Tensor Map<TOp>(string name, Tensor x, TOp op) where TOp : struct, IUnaryOp
    {
        if (x.Device.IsGpu()) return DeviceOps.Map<TOp>(name, x);
        CheckFloat(name, x);
        var xc = x.Materialize();
        var y = Tensor.Zeros(x.Shape, x.DType);
        if (x.DType == DType.Float32) Map<float, TOp>(xc, y, op);
        else Map<double, TOp>(xc, y, op);
        return y;
    }

    private static void Map<T, TOp>(Tensor x, Tensor y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUnaryOp
    {
        T[] xs = x.Data<T>(), ys = y.Data<T>();
        int xo = x.Offset;
        Par.For(x.NumEl, Par.Grain, (s, e) => op.Apply<T>(xs.AsSpan(xo + s, e - s), ys.AsSpan(s, e - s)));
    }

    /// <summary>d = op(a, b) with numpy broadcasting, as a new contiguous tensor (no autograd).</summary>
    public static Tensor Zip<TOp>(string name, Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        if (a.Device.IsGpu() || b.Device.IsGpu()) return DeviceOps.Zip<TOp>(name, a, b);
        CheckSameDType(name, a, b);
        CheckFloat(name, a);
        int[] shape = ShapeUtil.Broadcast(name, a.Shape, b.Shape);
        var ac = a.Materialize();
        var bc = b.Materialize();
        var d = Tensor.Zeros(shape, a.DType);
        if (d.NumEl == 0) return d;
        if (a.DType == DType.Float32) Zip<float, TOp>(ac, bc, d, op);
        else Zip<double, TOp>(ac, bc, d, op);
        return d;
    }

    private enum Mode { Contig, Scalar }

    private static void Zip<T, TOp>(Tensor a, Tensor b, Tensor d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IBinaryOp
    {
        int[] shape = d.Shape;
        int rank = shape.Length;
        int[] sa = a.ExpandInternal(shape).Strides, sb = b.ExpandInternal(shape).Strides;
        int[] cs = d.Strides;
        // Longest suffix of dims over which each operand is either contiguous (its strides equal the
        // output's) or constant (stride 0): that suffix is one span (or one scalar) per row.
        int split = rank;
        Mode ma = Mode.Contig, mb = Mode.Contig;
        bool fixedA = false, fixedB = false;
        for (int k = rank - 1; k >= 0; k--)
        {
            if (shape[k] == 1) { split = k; continue; }
            if (!Fits(sa[k], cs[k], ref ma, ref fixedA) || !Fits(sb[k], cs[k], ref mb, ref fixedB)) break;
            if (ma == Mode.Scalar && mb == Mode.Scalar) { ma = mb = Mode.Contig; break; }
            split = k;
        }
        if (!fixedA) ma = Mode.Contig;
        if (!fixedB) mb = Mode.Contig;
        int inner = 1;
        for (int k = split; k < rank; k++) inner *= shape[k];
        int rows = d.NumEl / inner;
        T[] xa = a.Data<T>(), xb = b.Data<T>(), xd = d.Data<T>();
        int aOff = a.Offset, bOff = b.Offset;

        void Row(int r, int s, int len)
        {
            int oa = aOff, ob = bOff, rem = r;
            for (int k = split - 1; k >= 0; k--)
            {
                int i = rem % shape[k];
                rem /= shape[k];
                oa += i * sa[k];
                ob += i * sb[k];
            }
            var dst = xd.AsSpan(r * inner + s, len);
            if (ma == Mode.Contig && mb == Mode.Contig)
                op.Apply<T>(xa.AsSpan(oa + s, len), xb.AsSpan(ob + s, len), dst);
            else if (mb == Mode.Scalar) op.Apply<T>(xa.AsSpan(oa + s, len), xb[ob], dst);
            else op.Apply<T>(xa[oa], xb.AsSpan(ob + s, len), dst);
        }

        if (rows == 1) Par.For(inner, Par.Grain, (s, e) => Row(0, s, e - s));
        else Par.Rows(rows, inner, (r0, r1) => { for (int r = r0; r < r1; r++) Row(r, 0, inner); });
    }

    private static bool Fits(int stride, int contiguous, ref Mode mode, ref bool isFixed)
    {
        Mode m = stride == 0 ? Mode.Scalar : stride == contiguous ? Mode.Contig : (Mode)(-1);
        if (m == (Mode)(-1)) return false;
        if (!isFixed) { mode = m; isFixed = true; return true; }
        return m == mode;
    }

    /// <summary>Rents a scratch buffer of at least <paramref name="length"/> elements.</summary>
    public static T[] Rent<T>(int length) => ArrayPool<T>.Shared.Rent(length);

    /// <summary>Returns a buffer from <see cref="Rent{T}"/>.</summary>
    public static void Return<T>(T[] buffer) => ArrayPool<T>.Shared.Return(buffer);
}
