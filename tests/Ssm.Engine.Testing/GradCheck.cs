using Ssm.Engine.Autograd;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Xunit.Sdk;

namespace Ssm.Engine.Testing;

/// <summary>Compares autograd gradients with central finite differences in float64.</summary>
public static class GradCheck
{
    /// <summary>Checks every floating input of <paramref name="f"/>. Non-scalar outputs are reduced with fixed
    /// random weights, so every output element's cotangent is exercised. Inputs must be Float64 (integer
    /// index tensors pass through untouched).</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-6,
        double rtol = 1e-5, int seed = 12345, string op = "op")
    {
        var leaves = inputs.Select(t => t.DType == DType.Float64
            ? Tensor.Zeros(t.Shape, DType.Float64).CopyFrom(t).WithRequiresGrad()
            : t).ToArray();
        Tensor? weights = null;
        Tensor Loss(Tensor[] xs)
        {
            var y = f(xs);
            if (y.DType != DType.Float64) throw new XunitException($"{op}: output dtype {y.DType}, expected Float64");
            weights ??= Tensor.Rand(y.Shape, seed, DType.Float64, -1, 1);
            return F.Sum(F.Mul(y, weights));
        }

        Loss(leaves).Backward();
        for (int k = 0; k < leaves.Length; k++)
        {
            var x = leaves[k];
            if (!x.RequiresGrad) continue;
            var numeric = new double[x.NumEl];
            var data = x.Data<double>();
            using (Tape.NoGrad())
            {
                for (int i = 0; i < x.NumEl; i++)
                {
                    double keep = data[i];
                    data[i] = keep + eps;
                    double up = Loss(leaves).Item();
                    data[i] = keep - eps;
                    double down = Loss(leaves).Item();
                    data[i] = keep;
                    numeric[i] = (up - down) / (2 * eps);
                }
            }
            if (x.Grad is null) throw new XunitException($"{op}: input {k} got no gradient");
            TensorAssert.Close(numeric, x.Grad.ToDoubleArray(), atol, rtol,
                    $"{op}: d/d input {k} {ShapeUtil.Format(x.Shape)}");
        }
    }

    /// <summary>Single-input convenience overload.</summary>
    public static void Check(Func<Tensor, Tensor> f, Tensor x, double eps = 1e-6, double atol = 1e-6,
        double rtol = 1e-5, string op = "op") => Check(xs => f(xs[0]), [x], eps, atol, rtol, op: op);
}
