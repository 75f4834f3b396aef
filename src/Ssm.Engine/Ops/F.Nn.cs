using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>RMSNorm over the last dim: x · rsqrt(mean(x²) + eps) · weight (weight optional, shape (D)).
    /// Composed from differentiable ops; fused kernels can replace it with this as their oracle.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor? weight, double eps = 1e-5)
    {
        CheckNormWeight("rms_norm", x, weight);
        var y = Mul(x, Rsqrt(Add(Mean(Mul(x, x), -1, keepDim: true), x.Scalar(eps))));
        return weight is null ? y : Mul(y, weight);
    }

    /// <summary>LayerNorm over the last dim: (x − mean) / sqrt(var + eps) · weight + bias (population
    /// variance; weight and bias optional, shape (D)).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        CheckNormWeight("layer_norm", x, weight);
        CheckNormWeight("layer_norm", x, bias);
        var d = Sub(x, Mean(x, -1, keepDim: true));
        var y = Mul(d, Rsqrt(Add(Mean(Mul(d, d), -1, keepDim: true), x.Scalar(eps))));
        if (weight is not null) y = Mul(y, weight);
        return bias is null ? y : Add(y, bias);
    }

    private static void CheckNormWeight(string op, Tensor x, Tensor? w)
    {
        if (x.Rank == 0) throw new ArgumentException($"[{op}] input needs rank >= 1");
        if (w is not null && (w.Rank != 1 || w.Shape[0] != x.Shape[^1]))
            throw new ArgumentException(
                $"[{op}] weight {ShapeUtil.Format(w.Shape)} does not match last dim of {ShapeUtil.Format(x.Shape)}");
    }

    /// <summary>Inverted dropout: zeroes each element with probability <paramref name="p"/> and scales the rest by
    /// 1/(1−p). The mask comes from <paramref name="seed"/>, so runs are reproducible. Identity when not
    /// training.</summary>
    public static Tensor Dropout(Tensor x, double p, int seed, bool training = true)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"[dropout] p must be in [0, 1), got {p}");
        if (!training || p == 0) return x;
        var m = new double[x.NumEl];
        var rng = new Random(seed);
        double keep = 1 / (1 - p);
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() >= p ? keep : 0; // seeded order defines the mask
        var mask = Tensor.FromArray(m, x.Shape).To(x.DType).To(x.Device); // drawn on the host, same order
        return Mul(x, mask);
    }

    /// <summary>Inclusive prefix sum along <paramref name="axis"/>.</summary>
    public static Tensor Cumsum(Tensor x, int axis)
    {
        ElementwiseDriver.CheckFloat("cumsum", x);
        int a = ShapeUtil.Axis("cumsum", axis, x.Rank);
        if (a != x.Rank - 1) return Cumsum(x.Transpose(a, -1), -1).Transpose(a, -1);
        var xc = x.Materialize();
        var y = Tensor.Zeros(x.Shape, x.DType);
        int n = x.Shape[^1];
        if (n > 0 && x.NumEl > 0)
        {
            if (x.DType == DType.Float32) Prefix(xc.Data<float>(), xc.Offset, y.Data<float>(), n, x.NumEl / n);
            else Prefix(xc.Data<double>(), xc.Offset, y.Data<double>(), n, x.NumEl / n);
        }
        return Tape.Record(y, "cumsum", [x], g => [Cumsum(g.Flip(-1), -1).Flip(-1)]);
    }

    private static void Prefix<T>(T[] x, int xo, T[] y, int n, int rows) where T : System.Numerics.INumber<T>
    {
        Par.Rows(rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                // A scan carries a dependency from each element to the next: sequential within a row.
                T acc = T.Zero;
                for (int i = 0; i < n; i++) y[r * n + i] = acc += x[xo + r * n + i];
            }
        });
    }
}
