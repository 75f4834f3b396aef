using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Kernels.Tests.Ssd;
using SsdK = Ssm.Engine.Kernels.Ssd.Ssd;

namespace Ssm.Engine.Kernels.Tests.Duality;

/// <summary>The state-space duality: SSD with a scalar A per head equals the Mamba-1 selective scan with
/// that A broadcast over the head's P channels and N states (channel d = h·P + p, group of d = h / (H/G)).
/// Checked for both SSD algorithms, forward (y, final state) and backward (every shared gradient).</summary>
public class SsdScanDualityTests
{
    private sealed record Case(
        int B, int L, int H, int P, int G, int N, bool Softplus, bool WithD, bool WithZ, int Seed);

    private static Gen<Case> Cases() =>
        from b in Gen.Choose(1, 3)
        from l in Gen.Elements(1, 2, 7, 17, 33)
        from hg in Gen.Elements((1, 1), (2, 1), (2, 2), (4, 2), (3, 3))
        from p in Gen.Elements(1, 3, 8, 9)
        from n in Gen.Elements(1, 5, 8, 16, 17)
        from sp in Gen.Elements(true, false)
        from d in Gen.Elements(true, false)
        from z in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 20)
        select new Case(b, l, hg.Item1, p, hg.Item2, n, sp, d, z, seed);

    private static float[] Rand(Random r, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)r.NextDouble();
        return a;
    }

    [Fact]
    public void SsdWithScalarA_EqualsSelectiveScan_ForwardAndBackward()
    {
        var cfg = Config.QuickThrowOnFailure.WithMaxTest(40).WithReplay(
            FSharpOption<Replay>.Some(new Replay(new Rnd(20261123UL, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            foreach (var alg in new[] { SsdAlgorithm.Chunked, SsdAlgorithm.Recurrent }) Check(c, alg);
        }).Check(cfg);
    }

    private static void Check(Case c, SsdAlgorithm alg)
    {
        var r = new Random(c.Seed);
        int D = c.H * c.P;
        var shape = new SsdShape(c.B, c.L, c.H, c.P, c.G, c.N);
        var ssdIn = new SsdInputs<float>
        {
            // Without softplus dt + bias stays positive: SSD clamps dt at 0 (upstream), the scan does not.
            X = Rand(r, shape.XLength, -1, 1),
            Dt = c.Softplus ? Rand(r, shape.DtLength, -2, 0.5f) : Rand(r, shape.DtLength, 0.01f, 0.5f),
            A = Rand(r, c.H, -2, -0.2f),
            B = Rand(r, shape.BcLength, -1, 1), C = Rand(r, shape.BcLength, -1, 1),
            D = c.WithD ? Rand(r, c.H, -1, 1) : null, Z = c.WithZ ? Rand(r, shape.XLength, -2, 2) : null,
            DtBias = c.Softplus ? Rand(r, c.H, -0.5f, 0.5f) : Rand(r, c.H, 0f, 0.3f),
        };
        var dy = Rand(r, shape.XLength, -1, 1);
        var dFinal = Rand(r, shape.StateLength, -1, 1);

        // The same problem in the selective-scan layout: u, delta, z (B, D, L); A (D, N); B, C (B, G, N, L).
        float[] ToBdl(float[] blhp, bool perHead)
        {
            var o = new float[c.B * D * c.L];
            for (int b = 0; b < c.B; b++)
            for (int t = 0; t < c.L; t++)
            for (int h = 0; h < c.H; h++)
            for (int p = 0; p < c.P; p++)
                o[(b * D + h * c.P + p) * c.L + t] =
                    perHead ? blhp[(b * c.L + t) * c.H + h] : blhp[((b * c.L + t) * c.H + h) * c.P + p];
            return o;
        }
        float[] ToBgnl(float[] blgn)
        {
            var o = new float[c.B * c.G * c.N * c.L];
            for (int b = 0; b < c.B; b++)
            for (int t = 0; t < c.L; t++)
            for (int g = 0; g < c.G; g++)
            for (int n = 0; n < c.N; n++)
                o[((b * c.G + g) * c.N + n) * c.L + t] = blgn[((b * c.L + t) * c.G + g) * c.N + n];
            return o;
        }
        float[] PerChannel(float[] perHead, int inner) =>
            Enumerable.Range(0, D * inner).Select(i => perHead[i / inner / c.P]).ToArray();

        var scanShape = new SelectiveScanShape(c.B, D, c.L, c.N, c.G);
        var scanIn = new SelectiveScanInputs<float>
        {
            U = ToBdl(ssdIn.X, false), Delta = ToBdl(ssdIn.Dt, true), A = PerChannel(ssdIn.A, c.N),
            B = ToBgnl(ssdIn.B), C = ToBgnl(ssdIn.C),
            D = ssdIn.D is null ? null : PerChannel(ssdIn.D, 1), Z = ssdIn.Z is null ? null : ToBdl(ssdIn.Z, false),
            DeltaBias = PerChannel(ssdIn.DtBias!, 1),
        };
        var ssdOpt = new SsdOptions { DtSoftplus = c.Softplus, Algorithm = alg, ChunkSize = 8 };
        var scanOpt = new SelectiveScanOptions(DeltaSoftplus: c.Softplus);

        var ySsd = new float[shape.XLength];
        var fSsd = new float[shape.StateLength];
        SsdK.Cpu.Forward(shape, ssdOpt, ssdIn, ySsd, fSsd);
        var yScan = new float[scanIn.U.Length];
        var fScan = new float[c.B * D * c.N];
        SelectiveScan.Cpu.Forward(scanShape, scanOpt, scanIn, yScan, fScan);
        string tag = $"{alg} {c}";
        SsdPropertyTests.Close($"y {tag}", ToBdl(ySsd, false), yScan);
        SsdPropertyTests.Close($"final state {tag}", fSsd, fScan); // (B, H, P, N) == (B, D, N)

        var gSsd = SsdGradients<float>.Allocate(ssdIn);
        SsdK.Cpu.Backward(shape, ssdOpt, ssdIn, dy, dFinal, gSsd);
        var gScan = SelectiveScan.Cpu.Backward(scanShape, scanOpt, scanIn, ToBdl(dy, false), dFinal);
        SsdPropertyTests.Close($"dx {tag}", ToBdl(gSsd.X, false), gScan.U, 5e-4);
        SsdPropertyTests.Close($"dB {tag}", ToBgnl(gSsd.B), gScan.B, 5e-4);
        SsdPropertyTests.Close($"dC {tag}", ToBgnl(gSsd.C), gScan.C, 5e-4);
        SsdPropertyTests.Close($"dA {tag}", gSsd.A, SumPerHead(gScan.A, c.N), 1e-3);
        SsdPropertyTests.Close($"dt_bias {tag}", gSsd.DtBias!, SumPerHead(gScan.DeltaBias!, 1), 1e-3);
        if (c.WithD) SsdPropertyTests.Close($"dD {tag}", gSsd.D!, SumPerHead(gScan.D!, 1), 5e-4);

        float[] SumPerHead(float[] perChannel, int inner)
        {
            var o = new float[c.H];
            for (int i = 0; i < perChannel.Length; i++) o[i / inner / c.P] += perChannel[i];
            return o;
        }
    }
}
