using Ssm.Engine.Kernels.Norm;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class GatedRmsNormOpTests
{
    private const int R = 4, C = 8;

    [Theory]
    [InlineData(false, 4)]
    [InlineData(true, 0)]
    public void ForwardAndBackward_MatchReference(bool normBeforeGate, int groupSize)
    {
        var x = Randn(1, 1, R, C);
        var z = Randn(2, 1, R, C);
        var w = Randn(3, 1, C);
        var y = F.GatedRmsNorm(x, w, null, z, normBeforeGate, groupSize, 1e-5);
        var s = new RmsNormShape(R, C, groupSize);
        var o = new RmsNormOptions(1e-5, normBeforeGate);
        var yr = new float[R * C];
        RmsNorm.Reference.Forward(s, Fl(x), [], Fl(z), Fl(w), [], yr, [], o);
        TensorAssert.Close(Tensor.FromArray(yr, R, C), y, 1e-5, 1e-4, "y");

        var wy = Tensor.Randn(4, R, C);
        Dot(y, wy).Backward();
        float[] dx = new float[R * C], dz = new float[R * C], dw = new float[C];
        RmsNorm.Reference.Backward(s, Fl(x), [], Fl(z), Fl(w), [], Fl(wy), [], dx, [], dz, dw, [], o);
        TensorAssert.Close(Tensor.FromArray(dx, R, C), x.Grad!, 1e-4, 1e-3, "dx");
        TensorAssert.Close(Tensor.FromArray(dz, R, C), z.Grad!, 1e-4, 1e-3, "dz");
        TensorAssert.Close(Tensor.FromArray(dw, C), w.Grad!, 1e-4, 1e-3, "dweight");
    }

    [Fact]
    public void Forward_RejectsGroupSizeNotDividingChannels()
    {
        var ex = Assert.Throws<ArgumentException>(
            () => F.GatedRmsNorm(Tensor.Zeros(R, C), Tensor.Ones(C), groupSize: 3));
        Assert.Contains("[gated_rms_norm]", ex.Message);
    }
}
