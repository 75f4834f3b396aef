using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

public class SsdOpTests
{
    private const int Bt = 2, L = 9, H = 4, P = 3, G = 2, N = 5;

    [Theory]
    [InlineData(SsdAlgorithm.Chunked)]
    [InlineData(SsdAlgorithm.Recurrent)]
    public void ForwardAndBackward_MatchReference(SsdAlgorithm algorithm)
    {
        var x = Randn(1, 1, Bt, L, H, P);
        var dt = Randn(2, 0.5, Bt, L, H);
        var a = NegativeA(3, H);
        var b = Randn(4, 1, Bt, L, G, N);
        var c = Randn(5, 1, Bt, L, G, N);
        var d = Randn(6, 1, H);
        var z = Randn(7, 1, Bt, L, H, P);
        var bias = Randn(8, 0.3, H);
        var h0 = Randn(9, 1, Bt, H, P, N);
        var (y, fin) = F.Ssd(x, dt, a, b, c, d, z, bias, dtSoftplus: true, initialStates: h0, algorithm: algorithm,
            chunkSize: 4);
        var s = new SsdShape(Bt, L, H, P, G, N);
        var o = new SsdOptions { DtSoftplus = true, ChunkSize = 4, Algorithm = algorithm };
        var inp = new SsdInputs<float>
        {
            X = Fl(x), Dt = Fl(dt), A = Fl(a), B = Fl(b), C = Fl(c), D = Fl(d), Z = Fl(z), DtBias = Fl(bias),
            InitialStates = Fl(h0),
        };
        var yr = new float[s.XLength];
        var fr = new float[s.StateLength];
        Ssd.Reference.Forward(s, o, inp, yr, fr);
        TensorAssert.Close(Tensor.FromArray(yr, y.Shape), y, 1e-5, 1e-4, "y");
        TensorAssert.Close(Tensor.FromArray(fr, fin.Shape), fin, 1e-5, 1e-4, "final_states");

        var wy = Tensor.Randn(10, y.Shape);
        var wf = Tensor.Randn(11, fin.Shape);
        (Dot(y, wy) + Dot(fin, wf)).Backward();
        var g = SsdGradients<float>.Allocate(inp);
        Ssd.Reference.Backward(s, o, inp, Fl(wy), Fl(wf), g);
        (Tensor T, float[] G, string Name)[] pairs =
        [
            (x, g.X, "x"), (dt, g.Dt, "dt"), (a, g.A, "A"), (b, g.B, "B"), (c, g.C, "C"), (d, g.D!, "D"),
            (z, g.Z!, "z"), (bias, g.DtBias!, "dt_bias"), (h0, g.InitialStates!, "initial_states"),
        ];
        foreach (var (t, gr, name) in pairs)
            TensorAssert.Close(Tensor.FromArray(gr, t.Shape), t.Grad!, 1e-4, 1e-3, name);
    }

    [Fact]
    public void Forward_RejectsBadA_NamingTheTensor()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Ssd(Tensor.Zeros(1, 2, H, P), Tensor.Zeros(1, 2, H),
            Tensor.Zeros(H + 1), Tensor.Zeros(1, 2, 1, N), Tensor.Zeros(1, 2, 1, N)));
        Assert.Contains("[ssd] A", ex.Message);
    }
}
