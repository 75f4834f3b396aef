using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class SelectiveStateUpdateOpTests
{
    private const int Bt = 2, H = 4, P = 3, N = 5, G = 2;

    [Fact]
    public void StepAndBackward_MatchReference_Mamba2Form()
    {
        var st = Randn(1, 1, Bt, H, P, N);
        var x = Randn(2, 1, Bt, H, P);
        var dt = Randn(3, 0.5, Bt, H, P);
        var a = NegativeA(4, H, P, N);
        var b = Randn(5, 1, Bt, G, N);
        var c = Randn(6, 1, Bt, G, N);
        var d = Randn(7, 1, H, P);
        var z = Randn(8, 1, Bt, H, P);
        var bias = Randn(9, 0.3, H, P);
        var (y, next) = F.SelectiveStateUpdate(st, x, dt, a, b, c, d, z, bias, dtSoftplus: true);
        var s = new SelectiveStateUpdateShape(Bt, H, P, N, G);
        var o = new SelectiveStateUpdateOptions(true);
        var inp = new SelectiveStateUpdateInputs<double>
        {
            State = D(st), X = D(x), Dt = D(dt), A = D(a), B = D(b), C = D(c), D = D(d), Z = D(z), DtBias = D(bias),
        };
        double[] yr = new double[Bt * H * P], nr = new double[st.NumEl];
        SelectiveStateUpdate.Reference.Step(s, o, inp, yr, nr);
        TensorAssert.Close(yr, y.ToDoubleArray(), 1e-5, 1e-4, "y");
        TensorAssert.Close(nr, next.ToDoubleArray(), 1e-5, 1e-4, "new_state");

        var wy = Tensor.Randn(10, Bt, H, P);
        var ws = Tensor.Randn(11, Bt, H, P, N);
        (Dot(y, wy) + Dot(next, ws)).Backward();
        var g = SelectiveStateUpdate.Reference.Backward(s, o, inp, D(wy), D(ws));
        TensorAssert.Close(g.State, st.Grad!.ToDoubleArray(), 1e-4, 1e-3, "state");
        TensorAssert.Close(g.X, x.Grad!.ToDoubleArray(), 1e-4, 1e-3, "x");
        TensorAssert.Close(g.Dt, dt.Grad!.ToDoubleArray(), 1e-4, 1e-3, "dt");
        TensorAssert.Close(g.A, a.Grad!.ToDoubleArray(), 1e-4, 1e-3, "A");
        TensorAssert.Close(g.B, b.Grad!.ToDoubleArray(), 1e-4, 1e-3, "B");
        TensorAssert.Close(g.C, c.Grad!.ToDoubleArray(), 1e-4, 1e-3, "C");
        TensorAssert.Close(g.D!, d.Grad!.ToDoubleArray(), 1e-4, 1e-3, "D");
        TensorAssert.Close(g.Z!, z.Grad!.ToDoubleArray(), 1e-4, 1e-3, "z");
        TensorAssert.Close(g.DtBias!, bias.Grad!.ToDoubleArray(), 1e-4, 1e-3, "dt_bias");
    }

    [Fact]
    public void Step_EqualsOneTokenScan_Mamba1Form()
    {
        const int dm = 6;
        var st = Randn(21, 1, Bt, dm, N);
        var x = Randn(22, 1, Bt, dm);
        var dt = Randn(23, 0.5, Bt, dm);
        var a = NegativeA(24, dm, N);
        var b = Randn(25, 1, Bt, N);
        var c = Randn(26, 1, Bt, N);
        var (y, next) = F.SelectiveStateUpdate(st, x, dt, a, b, c, dtSoftplus: true);
        var (ys, last) = F.SelectiveScan(x.Unsqueeze(-1), dt.Unsqueeze(-1), a, b.Unsqueeze(-1), c.Unsqueeze(-1),
            deltaSoftplus: true, h0: st);
        TensorAssert.Close(ys.Squeeze(-1), y, 1e-5, 1e-4, "y");
        TensorAssert.Close(last, next, 1e-5, 1e-4, "state");
    }

    [Fact]
    public void Step_RejectsStateOfWrongRank()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.SelectiveStateUpdate(Tensor.Zeros(2, 3), Tensor.Zeros(2),
            Tensor.Zeros(2), Tensor.Zeros(3), Tensor.Zeros(2), Tensor.Zeros(2)));
        Assert.Contains("[selective_state_update] state", ex.Message);
    }
}
