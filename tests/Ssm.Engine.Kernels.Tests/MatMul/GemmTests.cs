using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Kernels.MatMul;

namespace Ssm.Engine.Kernels.Tests.MatMul;

/// <summary>One generated GEMM problem: sizes, transposes, scalars, padding of the leading dimensions.</summary>
public sealed record GemmCase(int M, int N, int K, bool TransA, bool TransB, float Alpha, float Beta,
    int PadA, int PadB, int PadC, int Threads, int Seed);

/// <summary>Sizes include 1, primes and values around the 6 / 16 / KC / MC blocking.</summary>
public static class GemmArbitraries
{
    private static readonly int[] Sizes = [1, 2, 3, 5, 6, 7, 11, 13, 16, 17, 23, 31, 32, 33, 47, 97, 167, 169];

    public static Arbitrary<GemmCase> Case()
    {
        Gen<int> size = Gen.OneOf(Gen.Elements(Sizes), Gen.Choose(1, 120));
        Gen<int> kSize = Gen.OneOf(Gen.Elements(Sizes), Gen.Elements(255, 256, 257, 263, 300), Gen.Choose(1, 90));
        Gen<float> scalar = Gen.Elements(1f, -1f, 0.5f, 2.25f, 0f);
        Gen<int> pad = Gen.Elements(0, 0, 1, 5);
        var gen =
            from m in size
            from n in size
            from k in kSize
            from ta in Gen.Elements(false, true)
            from tb in Gen.Elements(false, true)
            from alpha in Gen.Elements(1f, -0.75f, 2f)
            from beta in scalar
            from pa in pad
            from pb in pad
            from pc in pad
            from threads in Gen.Elements(1, 2)
            from seed in Gen.Choose(0, 1_000_000)
            select new GemmCase(m, n, k, ta, tb, alpha, beta, pa, pb, pc, threads, seed);
        return Arb.From(gen);
    }
}

public class GemmTests
{
    private const float Ulp = 1.2e-7f;

    private static float[] Random(Random rng, int count, float scale = 1f)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    /// <summary>Runs Cpu and Reference on the same inputs and checks
    /// |cpu − ref| ≤ 2(K+4)·u·(|α||A||B| + |β||C|).</summary>
    private static void CheckAgainstReference(GemmCase g)
    {
        var rng = new Random(g.Seed);
        int aRows = g.TransA ? g.K : g.M, aCols = g.TransA ? g.M : g.K;
        int bRows = g.TransB ? g.N : g.K, bCols = g.TransB ? g.K : g.N;
        int lda = aCols + g.PadA, ldb = bCols + g.PadB, ldc = g.N + g.PadC;
        float[] a = Random(rng, Math.Max(0, (aRows - 1) * lda + aCols));
        float[] b = Random(rng, Math.Max(0, (bRows - 1) * ldb + bCols));
        float[] c0 = Random(rng, Math.Max(0, (g.M - 1) * ldc + g.N));
        float[] cpu = (float[])c0.Clone(), reference = (float[])c0.Clone();
        Gemm.Cpu.Sgemm(g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, a, lda, b, ldb, g.Beta, cpu, ldc, g.Threads);
        Gemm.Reference.Sgemm(g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, a, lda, b, ldb, g.Beta, reference, ldc);
        float[] bound = c0.Select(Math.Abs).ToArray();
        Gemm.Reference.Sgemm(g.TransA, g.TransB, g.M, g.N, g.K, Math.Abs(g.Alpha), a.Select(Math.Abs).ToArray(), lda,
            b.Select(Math.Abs).ToArray(), ldb, Math.Abs(g.Beta), bound, ldc);
        for (int i = 0; i < g.M; i++)
        for (int j = 0; j < ldc && i * ldc + j < cpu.Length; j++)
        {
            int at = i * ldc + j;
            if (j >= g.N)
            {
                Assert.True(cpu[at] == c0[at], $"padding of C written at ({i},{j}) for {g}");
                continue;
            }
            float tol = 2 * (g.K + 4) * Ulp * bound[at] + 1e-30f;
            Assert.True(Math.Abs(cpu[at] - reference[at]) <= tol,
                $"C[{i},{j}] cpu {cpu[at]} ref {reference[at]} tol {tol} for {g}");
        }
    }

    [Property(Arbitrary = [typeof(GemmArbitraries)], Replay = "(9137520374582937,8846351)", MaxTest = 150)]
    public void Sgemm_MatchesReference_GeneratedShapes(GemmCase g) => CheckAgainstReference(g);

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Sgemm_MatchesReference_WhenThreadedAcrossMcAndKcBlocks(bool transA, bool transB)
    {
        // 2·M·N·K is above the parallel threshold; M > MC, K > KC, none of them a multiple of 6 or 16.
        CheckAgainstReference(new GemmCase(181, 101, 263, transA, transB, 1.5f, -0.5f, 3, 0, 2, 2, 11));
        // Few rows, many columns: the threads split B's panels instead of C's rows.
        CheckAgainstReference(new GemmCase(13, 403, 300, transA, transB, 1f, 1f, 0, 1, 0, 2, 12));
    }

    [Fact]
    public void Sgemm_MatchesReference_WhenNExceedsNcBlock()
    {
        // K > KC makes the first B block a full KC x NC one, which two threads pack together.
        CheckAgainstReference(new GemmCase(7, Gemm.Cpu.NC + 37, 300, false, true, 1f, 0.5f, 0, 0, 3, 2, 13));
        CheckAgainstReference(new GemmCase(9, Gemm.Cpu.NC + 17, 3, true, false, -1f, 0f, 1, 2, 0, 1, 14));
    }

    [Theory]
    [InlineData(1, false, true, 1)]
    [InlineData(1, false, true, 2)]
    [InlineData(1, true, false, 2)]
    [InlineData(2, false, false, 2)]
    [InlineData(3, true, true, 2)]
    [InlineData(4, false, true, 2)]
    [InlineData(4, false, false, 1)]
    public void Sgemm_MatchesReference_WhenSmallM(int m, bool transA, bool transB, int threads)
    {
        // N·K large enough that the GEMV path uses its threads; N, K not multiples of 4, 16 or 64.
        CheckAgainstReference(new GemmCase(m, 403, 301, transA, transB, 1f, 0f, 1, 3, 2, threads, 20 + m));
        CheckAgainstReference(new GemmCase(m, 67, 259, transA, transB, -2f, 0.5f, 0, 0, 0, threads, 30 + m));
    }

    [Fact]
    public void Gemv_MatchesReference_DecodeShape()
    {
        // y (1, N) = x (1, K) · Wᵀ with W stored (N, K): the Linear layout at decode.
        const int n = 771, k = 389;
        var rng = new Random(5);
        float[] w = Random(rng, n * k), x = Random(rng, k);
        var y = new float[n];
        var expected = new float[n];
        Gemm.Cpu.Gemv(w, x, y, n, k, threads: 2);
        Gemm.Reference.Sgemm(false, true, 1, n, k, 1f, x, k, w, k, 0f, expected, n);
        for (int j = 0; j < n; j++)
        {
            double bound = 0;
            for (int p = 0; p < k; p++) bound += Math.Abs(w[j * k + p] * x[p]);
            Assert.True(Math.Abs(y[j] - expected[j]) <= 2 * (k + 4) * Ulp * bound, $"y[{j}] {y[j]} vs {expected[j]}");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 17, 1)]
    [InlineData(771, 389, 2)]
    [InlineData(256, 768, 2)]
    [InlineData(64, 1000, 1)]
    public void GemvBf16_MatchesWidenedReference(int n, int k, int threads)
    {
        var rng = new Random(n * 7 + k);
        var w = new ushort[n * k];
        for (int i = 0; i < w.Length; i++)
            w[i] = (ushort)(BitConverter.SingleToInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
        float[] x = Random(rng, k);
        float[] wide = w.Select(Gemm.Cpu.Bf16ToSingle).ToArray();
        var y = new float[n];
        var expected = new float[n];
        Gemm.Cpu.GemvBf16(w, x, y, n, k, threads);
        Gemm.Reference.Sgemm(false, true, 1, n, k, 1f, x, k, wide, k, 0f, expected, n);
        for (int j = 0; j < n; j++)
        {
            double bound = 0;
            for (int p = 0; p < k; p++) bound += Math.Abs(wide[j * k + p] * x[p]);
            Assert.True(Math.Abs(y[j] - expected[j]) <= 2 * (k + 4) * Ulp * bound, $"y[{j}] {y[j]} vs {expected[j]}");
        }
    }

    [Fact]
    public void Bf16ToSingle_WidensExactly()
    {
        Assert.Equal(1f, Gemm.Cpu.Bf16ToSingle(0x3F80));
        Assert.Equal(-2f, Gemm.Cpu.Bf16ToSingle(0xC000));
        Assert.True(float.IsNaN(Gemm.Cpu.Bf16ToSingle(0x7FC0)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(40)]
    public void Sgemm_IgnoresNaNInC_WhenBetaIsZero(int m)
    {
        const int n = 37, k = 29;
        var rng = new Random(m);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        float[] c = Enumerable.Repeat(float.NaN, m * n).ToArray();
        Gemm.Cpu.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        Assert.All(c, v => Assert.False(float.IsNaN(v)));
    }

    [Fact]
    public void Sgemm_HandlesZeroSizes()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Cpu.Sgemm(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 1f, c, 2);
        Gemm.Cpu.Sgemm(false, false, 2, 0, 3, 1f, new float[6], 3, [], 1, 1f, c, 2);
        Assert.Equal([1f, 2f, 3f, 4f], c);
        // K = 0: C = beta · C.
        Gemm.Cpu.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
        float[] nan = [float.NaN, float.NaN];
        Gemm.Cpu.Sgemm(false, false, 1, 2, 0, 1f, [], 1, [], 2, 0f, nan, 2);
        Assert.Equal([0f, 0f], nan);
    }

    [Fact]
    public void PortableKernel_MatchesAvx2Kernel_OnPackedPanels()
    {
        // The CI also runs this suite with AVX2 / HW intrinsics off; this covers the portable kernel directly.
        const int kc = 37;
        var rng = new Random(3);
        float[] ap = Random(rng, Gemm.Cpu.MR * kc), bp = Random(rng, Gemm.Cpu.NR * kc);
        float[] c0 = Random(rng, Gemm.Cpu.MR * 20);
        float[] portable = (float[])c0.Clone(), expected = (float[])c0.Clone();
        unsafe
        {
            fixed (float* pa = ap, pb = bp, pc = portable)
                Gemm.Cpu.Kernel6x16Portable(kc, pa, pb, pc, 20, 1.5f, 0.5f);
        }
        for (int i = 0; i < Gemm.Cpu.MR; i++)
        for (int j = 0; j < Gemm.Cpu.NR; j++)
        {
            double s = 0;
            for (int p = 0; p < kc; p++) s += ap[p * Gemm.Cpu.MR + i] * bp[p * Gemm.Cpu.NR + j];
            expected[i * 20 + j] = (float)(1.5 * s + 0.5 * c0[i * 20 + j]);
        }
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], portable[i], 4e-5f);
    }

    [Theory]
    [InlineData(false, false, 3, 4, 5, 3, 24, 4, 15, 4, "[gemm] lda=3 < 5 columns of A")]
    [InlineData(false, false, 3, 4, 5, 5, 14, 4, 20, 4, "[gemm] A holds 14 values, needs 15 (3x5, ld 5)")]
    [InlineData(false, true, 3, 4, 5, 5, 15, 5, 19, 4, "[gemm] B holds 19 values, needs 20 (4x5, ld 5)")]
    [InlineData(true, false, 3, 4, 5, 3, 15, 4, 20, 2, "[gemm] ldc=2 < 4 columns of C")]
    public void Sgemm_RejectsBadOperands_WithNamedMessage(bool transA, bool transB, int m, int n, int k,
        int lda, int aLength, int ldb, int bLength, int ldc, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Cpu.Sgemm(transA, transB, m, n, k, 1f,
            new float[aLength], lda, new float[bLength], ldb, 0f, new float[16], ldc));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Sgemm_RejectsNegativeSize()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Cpu.Sgemm(false, false, -1, 2, 2, 1f,
            new float[4], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Equal("[gemm] negative size M=-1 N=2 K=2", ex.Message);
    }

    [Fact]
    public void GemvBf16_RejectsShortOperands_WithNamedMessage()
    {
        var w = new ushort[10];
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Cpu.GemvBf16(w, new float[4], new float[3], 3, 4));
        Assert.Equal("[gemv_bf16] W holds 10 values, needs 12 (N=3, K=4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Cpu.GemvBf16(new ushort[12], new float[3], new float[3], 3, 4));
        Assert.Equal("[gemv_bf16] x holds 3 values, needs K=4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Cpu.GemvBf16(new ushort[12], new float[4], new float[2], 3, 4));
        Assert.Equal("[gemv_bf16] y holds 2 values, needs N=3", ex.Message);
    }
}
