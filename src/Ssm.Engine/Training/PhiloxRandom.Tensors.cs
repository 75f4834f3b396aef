using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

public sealed partial class PhiloxRandom
{
    /// <summary>A new tensor of uniforms in [<paramref name="low"/>, <paramref name="high"/>), filled in
    /// row-major order.</summary>
    public Tensor Uniform(int[] shape, double low = 0, double high = 1, DType dtype = DType.Float32) =>
        FillUniform(Tensor.Zeros(shape, dtype), low, high);

    /// <summary>A new tensor of normals N(<paramref name="mean"/>, <paramref name="std"/>²), filled in row-major
    /// order, two elements per Box–Muller pair.</summary>
    public Tensor Normal(int[] shape, double mean = 0, double std = 1, DType dtype = DType.Float32) =>
        FillNormal(Tensor.Zeros(shape, dtype), mean, std);

    /// <summary>Overwrites every element of <paramref name="t"/> (row-major, through views) with uniforms;
    /// not recorded by autograd. Returns <paramref name="t"/>.</summary>
    public Tensor FillUniform(Tensor t, double low = 0, double high = 1)
    {
        if (t.IsContiguous && t.DType == DType.Float32)
        {
            var s = t.Span<float>(); // direct path: same values as the general one, without a float64 buffer
            for (int i = 0; i < s.Length; i++) s[i] = (float)NextUniform(low, high);
            return t;
        }
        var v = new double[t.NumEl];
        for (int i = 0; i < v.Length; i++) v[i] = NextUniform(low, high);
        return Write(t, v, "fill_uniform");
    }

    /// <summary>Overwrites every element of <paramref name="t"/> (row-major, through views) with normals;
    /// not recorded by autograd. Returns <paramref name="t"/>.</summary>
    public Tensor FillNormal(Tensor t, double mean = 0, double std = 1)
    {
        if (t.IsContiguous && t.DType == DType.Float32)
        {
            var s = t.Span<float>(); // direct path: same values as the general one, without a float64 buffer
            for (int i = 0; i < s.Length; i += 2)
            {
                var (z0, z1) = NextNormalPair();
                s[i] = (float)(mean + std * z0);
                if (i + 1 < s.Length) s[i + 1] = (float)(mean + std * z1);
            }
            return t;
        }
        var v = new double[t.NumEl];
        for (int i = 0; i < v.Length; i += 2)
        {
            var (z0, z1) = NextNormalPair();
            v[i] = mean + std * z0;
            if (i + 1 < v.Length) v[i + 1] = mean + std * z1;
        }
        return Write(t, v, "fill_normal");
    }

    /// <summary>Inverted dropout with a mask drawn from this stream: each element is zeroed with probability
    /// <paramref name="p"/> and the rest scaled by 1/(1−p). Identity when not training or p = 0.</summary>
    public Tensor Dropout(Tensor x, double p, bool training = true)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"[dropout] p must be in [0, 1), got {p}");
        if (!training || p == 0) return x;
        var m = new double[x.NumEl];
        double keep = 1 / (1 - p);
        for (int i = 0; i < m.Length; i++) m[i] = NextDouble() >= p ? keep : 0;
        return F.Mul(x, Tensor.FromArray(m, x.Shape).To(x.DType));
    }

    private static Tensor Write(Tensor t, double[] values, string op)
    {
        if (!Tensor.IsFloating(t.DType))
            throw new ArgumentException($"[{op}] tensor {ShapeUtil.Format(t.Shape)} is {t.DType}, not floating");
        t.CopyFrom(Tensor.FromArray(values, t.Shape));
        return t;
    }
}
