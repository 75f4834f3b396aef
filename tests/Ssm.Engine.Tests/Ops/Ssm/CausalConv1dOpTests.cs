using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class CausalConv1dOpTests
{
    private const int Bt = 2, Dm = 3, L = 6, K = 4;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForwardAndBackward_MatchReference(bool silu)
    {
        var x = Randn(1, 1, Bt, Dm, L);
        var w = Randn(2, 0.5, Dm, 1, K);
        var b = Randn(3, 0.5, Dm);
        var h0 = Randn(4, 1, Bt, Dm, K - 1);
        var (y, fin) = F.CausalConv1d(x, w, b, silu, h0);
        var s = new CausalConv1dShape(Bt, Dm, L, K);
        var o = new CausalConv1dOptions(silu);
        var yr = new float[x.NumEl];
        var fr = new float[h0.NumEl];
        CausalConv1d.Reference.Forward(s, Fl(x), Fl(w), Fl(b), Fl(h0), yr, fr, o);
        TensorAssert.Close(Tensor.FromArray(yr, y.Shape), y, 1e-6, 1e-5, "y");
        TensorAssert.Close(Tensor.FromArray(fr, fin.Shape), fin, 0, 0, "final_states");

        var wy = Tensor.Randn(5, y.Shape);
        var wf = Tensor.Randn(6, fin.Shape);
        (Dot(y, wy) + Dot(fin, wf)).Backward();
        float[] dx = new float[x.NumEl], dw = new float[Dm * K], db = new float[Dm], dh = new float[h0.NumEl];
        CausalConv1d.Reference.Backward(s, Fl(x), Fl(w), Fl(b), Fl(h0), Fl(wy), Fl(wf), dx, dw, db, dh, o);
        TensorAssert.Close(Tensor.FromArray(dx, x.Shape), x.Grad!, 1e-5, 1e-4, "dx");
        TensorAssert.Close(Tensor.FromArray(dw, w.Shape), w.Grad!, 1e-5, 1e-4, "dweight");
        TensorAssert.Close(Tensor.FromArray(db, b.Shape), b.Grad!, 1e-5, 1e-4, "dbias");
        TensorAssert.Close(Tensor.FromArray(dh, h0.Shape), h0.Grad!, 1e-5, 1e-4, "dinitial_states");
    }

    [Fact]
    public void FinalStates_HoldLastInputs_WithoutInitialStates()
    {
        var x = Tensor.Arange(Bt * Dm * L).Reshape(Bt, Dm, L);
        var (_, fin) = F.CausalConv1d(x, Tensor.Ones(Dm, K));
        TensorAssert.Equal(x.Narrow(2, L - (K - 1), K - 1).Contiguous(), fin, "final_states");
    }

    [Fact]
    public void Forward_RejectsWeightOfOtherChannelCount()
    {
        var ex = Assert.Throws<ArgumentException>(
            () => F.CausalConv1d(Tensor.Zeros(1, Dm, L), Tensor.Zeros(Dm + 1, K)));
        Assert.Contains("[causal_conv1d] weight", ex.Message);
    }
}
