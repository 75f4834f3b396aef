using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class SelectiveScanOpTests
{
    private const int Bt = 2, Dm = 4, L = 7, N = 3, G = 2;

    private static (Tensor u, Tensor dl, Tensor a, Tensor b, Tensor c, Tensor d, Tensor z, Tensor bias, Tensor h0)
        Inputs(int seed) => (Randn(seed, 1, Bt, Dm, L), Randn(seed + 1, 0.5, Bt, Dm, L), NegativeA(seed + 2, Dm, N),
            Randn(seed + 3, 1, Bt, G, N, L), Randn(seed + 4, 1, Bt, G, N, L), Randn(seed + 5, 1, Dm),
            Randn(seed + 6, 1, Bt, Dm, L), Randn(seed + 7, 0.3, Dm), Randn(seed + 8, 1, Bt, Dm, N));

    private static SelectiveScanInputs<double> Ref(Tensor u, Tensor dl, Tensor a, Tensor b, Tensor c, Tensor d,
        Tensor z, Tensor bias, Tensor h0) => new()
    {
        U = D(u), Delta = D(dl), A = D(a), B = D(b), C = D(c), D = D(d), Z = D(z), DeltaBias = D(bias), H0 = D(h0),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_MatchesReference_WithEveryOption(bool reverse)
    {
        var (u, dl, a, b, c, d, z, bias, h0) = Inputs(11);
        var (y, last) = F.SelectiveScan(u, dl, a, b, c, d, z, bias, deltaSoftplus: true, h0: h0, reverse: reverse);
        var shape = new SelectiveScanShape(Bt, Dm, L, N, G);
        var yr = new double[Bt * Dm * L];
        var lr = new double[Bt * Dm * N];
        SelectiveScan.Reference.Forward(shape, new SelectiveScanOptions(true, reverse),
            Ref(u, dl, a, b, c, d, z, bias, h0), yr, lr);
        TensorAssert.Close(yr, y.ToDoubleArray(), 1e-5, 1e-4, "y");
        TensorAssert.Close(lr, last.ToDoubleArray(), 1e-5, 1e-4, "last_state");
        Assert.Equal([Bt, Dm, N], last.Shape);
    }

    [Fact]
    public void Backward_MatchesReferenceGradients_ThroughBothOutputs()
    {
        var (u, dl, a, b, c, d, z, bias, h0) = Inputs(21);
        var wy = Tensor.Randn(31, Bt, Dm, L);
        var wl = Tensor.Randn(32, Bt, Dm, N);
        var (y, last) = F.SelectiveScan(u, dl, a, b, c, d, z, bias, deltaSoftplus: true, h0: h0);
        (Dot(y, wy) + Dot(last, wl)).Backward();
        var g = SelectiveScan.Reference.Backward(new SelectiveScanShape(Bt, Dm, L, N, G),
            new SelectiveScanOptions(true), Ref(u, dl, a, b, c, d, z, bias, h0), D(wy), D(wl));
        (Tensor T, double[] G, string Name)[] pairs =
        [
            (u, g.U, "u"), (dl, g.Delta, "delta"), (a, g.A, "A"), (b, g.B, "B"), (c, g.C, "C"), (d, g.D!, "D"),
            (z, g.Z!, "z"), (bias, g.DeltaBias!, "delta_bias"), (h0, g.H0!, "h0"),
        ];
        foreach (var (t, gr, name) in pairs) TensorAssert.Close(gr, t.Grad!.ToDoubleArray(), 1e-4, 1e-3, name);
    }

    [Fact]
    public void Forward_AcceptsTimeInvariantAndSingleGroupOperands()
    {
        var u = Randn(41, 1, 1, Dm, L);
        var dl = Randn(42, 0.5, 1, Dm, L);
        var a = NegativeA(43, Dm, N);
        var bInv = Randn(44, 1, Dm, N);
        var c3 = Randn(45, 1, 1, N, L);
        var (y, _) = F.SelectiveScan(u, dl, a, bInv, c3, deltaSoftplus: true);
        var yr = new double[Dm * L];
        SelectiveScan.Reference.Forward(new SelectiveScanShape(1, Dm, L, N, 1, VariableB: false, VariableC: true),
            new SelectiveScanOptions(true), new SelectiveScanInputs<double>
            {
                U = D(u), Delta = D(dl), A = D(a), B = D(bInv), C = D(c3),
            }, yr, null);
        TensorAssert.Close(yr, y.ToDoubleArray(), 1e-5, 1e-4, "y");
    }

    [Fact]
    public void Forward_RejectsMismatchedDelta_NamingTheTensor()
    {
        var (u, _, a, b, c, _, _, _, _) = Inputs(51);
        var ex = Assert.Throws<ArgumentException>(() => F.SelectiveScan(u, Tensor.Zeros(Bt, Dm, L + 1), a, b, c));
        Assert.Contains("[selective_scan] delta", ex.Message);
    }
}
