using Ssm.Engine.Kernels.Norm;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class RmsNormFusedOpTests
{
    private const int R = 5, C = 8;

    [Fact]
    public void ForwardAndBackward_MatchReference_WithResidualAndBias()
    {
        var x = Randn(1, 1, R, C);
        var res = Randn(2, 1, R, C);
        var w = Randn(3, 1, C);
        var b = Randn(4, 1, C);
        var (y, ro) = F.RmsNormFused(x, w, b, res, 1e-5);
        var s = new RmsNormShape(R, C);
        var o = new RmsNormOptions(1e-5);
        float[] yr = new float[R * C], rr = new float[R * C];
        RmsNorm.Reference.Forward(s, Fl(x), Fl(res), [], Fl(w), Fl(b), yr, rr, o);
        TensorAssert.Close(Tensor.FromArray(yr, R, C), y, 1e-5, 1e-4, "y");
        TensorAssert.Close(Tensor.FromArray(rr, R, C), ro, 1e-6, 1e-6, "residual_out");

        var wy = Tensor.Randn(5, R, C);
        var wr = Tensor.Randn(6, R, C);
        (Dot(y, wy) + Dot(ro, wr)).Backward();
        float[] dx = new float[R * C], dr = new float[R * C], dw = new float[C], db = new float[C];
        RmsNorm.Reference.Backward(s, Fl(x), Fl(res), [], Fl(w), Fl(b), Fl(wy), Fl(wr), dx, dr, [], dw, db, o);
        TensorAssert.Close(Tensor.FromArray(dx, R, C), x.Grad!, 1e-4, 1e-3, "dx");
        TensorAssert.Close(Tensor.FromArray(dr, R, C), res.Grad!, 1e-4, 1e-3, "dresidual");
        TensorAssert.Close(Tensor.FromArray(dw, C), w.Grad!, 1e-4, 1e-3, "dweight");
        TensorAssert.Close(Tensor.FromArray(db, C), b.Grad!, 1e-4, 1e-3, "dbias");
    }

    [Fact]
    public void WithoutResidual_EqualsComposedRmsNorm()
    {
        var x = Randn(7, 1, 2, R, C);
        var w = Randn(8, 1, C);
        var (y, ro) = F.RmsNormFused(x, w);
        Assert.Same(x, ro);
        TensorAssert.Close(F.RmsNorm(x, w), y, 1e-5, 1e-5, "y");
    }
}
