using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Kernels.Ssd;
using SsdK = Ssm.Engine.Kernels.Ssd.Ssd;

namespace Ssm.Engine.Kernels.Tests.Determinism;

/// <summary>Multi-threaded CPU backward passes reduce parameter gradients across rows; the reduction order must
/// not depend on thread scheduling, so training runs repeat bit for bit at a given thread count.</summary>
public class CpuBackwardDeterminismTests
{
    private static float[] Rand(Random r, long n, float lo, float hi)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)r.NextDouble();
        return a;
    }

    [Fact]
    public void SelectiveScanBackward_IsBitIdentical_AcrossRuns_WithTwoThreads()
    {
        var r = new Random(7);
        var s = new SelectiveScanShape(2, 96, 48, 16, 2);
        int bdl = s.Batch * s.Dim * s.Length;
        var x = new SelectiveScanInputs<float>
        {
            U = Rand(r, bdl, -1, 1), Delta = Rand(r, bdl, -2, 1), A = Rand(r, s.Dim * s.State, -2, -0.1f),
            B = Rand(r, s.BLength, -1, 1), C = Rand(r, s.CLength, -1, 1), D = Rand(r, s.Dim, -1, 1),
            Z = Rand(r, bdl, -1, 1), DeltaBias = Rand(r, s.Dim, -1, 1),
        };
        var dy = Rand(r, bdl, -1, 1);
        var o = new SelectiveScanOptions(DeltaSoftplus: true, Threads: 2);
        var first = SelectiveScan.Cpu.Backward(s, o, x, dy, null);
        for (int run = 0; run < 4; run++)
        {
            var again = SelectiveScan.Cpu.Backward(s, o, x, dy, null);
            Assert.Equal(first.B, again.B);
            Assert.Equal(first.C, again.C);
            Assert.Equal(first.A, again.A);
            Assert.Equal(first.U, again.U);
        }
    }

    [Fact]
    public void SsdBackward_IsBitIdentical_AcrossRuns_WithTwoThreads()
    {
        var r = new Random(11);
        var s = new SsdShape(2, 40, 6, 8, 2, 16);
        var x = new SsdInputs<float>
        {
            X = Rand(r, s.XLength, -1, 1), Dt = Rand(r, s.DtLength, -2, 1), A = Rand(r, s.H, -2, -0.1f),
            B = Rand(r, s.BcLength, -1, 1), C = Rand(r, s.BcLength, -1, 1), D = Rand(r, s.H, -1, 1),
            Z = Rand(r, s.XLength, -1, 1), DtBias = Rand(r, s.H, -1, 1),
        };
        var dy = Rand(r, s.XLength, -1, 1);
        var o = new SsdOptions { DtSoftplus = true, Threads = 2 };
        var first = SsdGradients<float>.Allocate(x);
        SsdK.Cpu.Backward(s, o, x, dy, null, first);
        for (int run = 0; run < 4; run++)
        {
            var again = SsdGradients<float>.Allocate(x);
            SsdK.Cpu.Backward(s, o, x, dy, null, again);
            Assert.Equal(first.B, again.B);
            Assert.Equal(first.C, again.C);
            Assert.Equal(first.A, again.A);
            Assert.Equal(first.Dt, again.Dt);
        }
    }
}
