using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Xunit;
using static Ssm.Engine.Tests.Ops.Ssm.SsmOpData;

namespace Ssm.Engine.Tests.Ops.Ssm;

/// <summary>A Mamba-like chain (linear → conv → scan → gated norm → loss) differentiated end to end and
/// checked by float32 central differences with a loose tolerance (the kernels have their own float64 checks).
/// </summary>
public class ComposedSsmGraphTests
{
    private const int Bt = 1, Dm = 4, L = 5, N = 3, K = 3;

    private static Tensor Loss(Tensor inp, Tensor proj, Tensor convW, Tensor a, Tensor bc, Tensor normW)
    {
        var x = F.Linear(inp, proj).Permute(0, 2, 1);                       // (B, D, L)
        var (xc, _) = F.CausalConv1d(x, convW, null, silu: true);
        var bcl = F.Linear(xc.Permute(0, 2, 1), bc).Permute(0, 2, 1);         // (B, 2N, L)
        var (y, last) = F.SelectiveScan(xc, xc, a, bcl.Narrow(1, 0, N), bcl.Narrow(1, N, N), deltaSoftplus: true);
        var yn = F.GatedRmsNorm(y.Permute(0, 2, 1), normW, z: x.Permute(0, 2, 1), normBeforeGate: false);
        return F.Sum(F.Tanh(yn)) + F.Sum(last * last);
    }

    [Fact]
    public void Gradients_MatchCentralDifferences_Float32()
    {
        Tensor[] p =
        [
            Randn(1, 1, Bt, L, Dm), Randn(2, 0.5, Dm, Dm), Randn(3, 0.5, Dm, K), NegativeA(4, Dm, N),
            Randn(5, 0.5, 2 * N, Dm), Randn(6, 0.3, Dm) + 1.0,
        ];
        p[5] = p[5].Detach().WithRequiresGrad();
        Loss(p[0], p[1], p[2], p[3], p[4], p[5]).Backward();
        const double h = 1e-2;
        using var _ = global::Ssm.Engine.Autograd.Tape.NoGrad();
        for (int i = 0; i < p.Length; i++)
        {
            var flat = p[i].Data<float>();
            var grad = p[i].Grad!.ToArray();
            for (int j = 0; j < flat.Length; j += Math.Max(1, flat.Length / 6))
            {
                float keep = flat[j];
                flat[j] = keep + (float)h;
                double up = Loss(p[0], p[1], p[2], p[3], p[4], p[5]).Item();
                flat[j] = keep - (float)h;
                double down = Loss(p[0], p[1], p[2], p[3], p[4], p[5]).Item();
                flat[j] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - grad[j]) <= 2e-2 + 2e-2 * Math.Abs(fd),
                    $"param {i} index {j}: finite difference {fd:G6}, backward {grad[j]:G6}");
            }
        }
    }
}
