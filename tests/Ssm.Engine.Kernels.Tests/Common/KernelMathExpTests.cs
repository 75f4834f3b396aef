using System.Numerics;
using System.Runtime.Intrinsics;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Tests.Common;

public class KernelMathExpTests
{
    private static float[] Grid(float lo, float hi, int n) =>
        Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();

    private static void MaxRelErr(float[] xs, Func<Vector<float>, Vector<float>> f, Func<double, double> exact,
        double bound)
    {
        int w = Vector<float>.Count;
        for (int i = 0; i + w <= xs.Length; i += w)
        {
            var r = f(new Vector<float>(xs, i));
            for (int j = 0; j < w; j++)
            {
                double want = exact(xs[i + j]), err = Math.Abs(r[j] - want) / Math.Abs(want);
                Assert.True(err <= bound, $"x = {xs[i + j]:R}: got {r[j]:R}, want {want:R}, rel err {err:g3}");
            }
        }
    }

    [Fact]
    public void Exp2_IsWithinTwoUlps_OverTheNormalRange()
    {
        MaxRelErr(Grid(-126f, 127f, 40_000), KernelMath.Exp2, x => Math.Pow(2, x), 2.4e-7);
        foreach (float x in Grid(-126f, 127f, 1001))
            Assert.True(Math.Abs(KernelMath.Exp2(x) - Math.Pow(2, x)) <= 2.4e-7 * Math.Pow(2, x), $"scalar x = {x}");
    }

    [Fact]
    public void Exp2_ClampsBelowTheNormalRange_ToATinyPositiveValue()
    {
        var r = KernelMath.Exp2(new Vector<float>(-1000f));
        Assert.True(r[0] > 0 && r[0] < 1.2e-38f);
    }

    [Fact]
    public void Log_IsWithinTwoUlps_ForPositiveInputs()
    {
        float[] xs = Grid(-30f, 30f, 20_000).Select(MathF.Exp).ToArray();
        int w = Vector<float>.Count;
        for (int i = 0; i + w <= xs.Length; i += w)
        {
            var r = KernelMath.Log(new Vector<float>(xs, i));
            for (int j = 0; j < w; j++)
            {
                double want = Math.Log(xs[i + j]);
                Assert.True(Math.Abs(r[j] - want) <= 2.4e-7 * Math.Max(1, Math.Abs(want)), $"x = {xs[i + j]:R}");
            }
        }
    }

    [Fact]
    public void SoftplusSiluAndSiluGate_MatchTheScalarForms()
    {
        float[] xs = Grid(-25f, 25f, 2003);
        var sp = (float[])xs.Clone();
        KernelMath.SoftplusInPlace(sp);
        var y = Enumerable.Repeat(1.5f, xs.Length).ToArray();
        KernelMath.MultiplySilu(y, xs);
        var silu = (float[])xs.Clone();
        KernelMath.SiluInPlace(silu);
        for (int i = 0; i < xs.Length; i++)
        {
            double spWant = xs[i] > 20 ? xs[i] : Math.Log(1 + Math.Exp(xs[i]));
            Assert.True(Math.Abs(sp[i] - spWant) <= 1e-7 + 3e-7 * spWant,
                $"softplus({xs[i]}) = {sp[i]}, want {spWant}");
            double gWant = 1.5 * xs[i] / (1 + Math.Exp(-xs[i]));
            Assert.True(Math.Abs(y[i] - gWant) <= 1e-7 + 3e-7 * Math.Abs(gWant), $"silu gate at {xs[i]}");
            Assert.True(Math.Abs(silu[i] - gWant / 1.5) <= 1e-7 + 3e-7 * Math.Abs(gWant), $"silu at {xs[i]}");
        }
    }

    [Fact]
    public void SiluAndSiluGate_StayFiniteWhereTheSigmoidDenominatorOverflows()
    {
        // exp(-z) overflows float from z < -88.7 (to +∞ in the 512-bit Exp2); silu(z) is then 0 to float precision.
        float[] zs = Enumerable.Range(0, 64).Select(i => -80f - 15f * i).ToArray();
        var y = Enumerable.Repeat(2f, zs.Length).ToArray();
        KernelMath.MultiplySilu(y, zs);
        var silu = (float[])zs.Clone();
        KernelMath.SiluInPlace(silu);
        for (int i = 0; i < zs.Length; i++)
        {
            Assert.True(Math.Abs(y[i]) <= 1e-20, $"silu gate at {zs[i]} = {y[i]}");
            Assert.True(Math.Abs(silu[i]) <= 1e-20, $"silu at {zs[i]} = {silu[i]}");
        }
    }

    [Fact]
    public void Exp2_512BitForm_OverflowsToInfinityOrClampsAsDocumented()
    {
        var big = KernelMath.Exp2(Vector512.Create(130f));
        // vscalefps overflows to +∞ on AVX-512; the exponent-bit form clamps to 2^127.49.
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.True(float.IsPositiveInfinity(big[0]));
        else Assert.Equal(KernelMath.Exp2(new Vector<float>(130f))[0], big[0]);
        Assert.Equal(KernelMath.Exp2(new Vector<float>(-1000f))[0], KernelMath.Exp2(Vector512.Create(-1000f))[0]);
    }

    [Fact]
    public void Exp2AndLog_512BitForms_MatchTheVectorForms_BitForBit()
    {
        // A grid beyond the lower clamp up to the upper one, plus the ties k + ½ (round-to-nearest-even must agree).
        float[] xs = [.. Grid(-140f, 127f, 16 * 997), .. Enumerable.Range(-127, 254).Select(k => k + 0.5f), 127f, 127f];
        float[] pos = xs.Select(x => MathF.Exp(x / 5)).ToArray();
        int w = Vector<float>.Count;
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            Vector512<float> e = KernelMath.Exp2(Vector512.Create(xs.AsSpan(i, 16)));
            Vector512<float> l = KernelMath.Log(Vector512.Create(pos.AsSpan(i, 16)));
            for (int j = 0; j + w <= 16; j += w)
            {
                Vector<float> ev = KernelMath.Exp2(new Vector<float>(xs, i + j));
                Vector<float> lv = KernelMath.Log(new Vector<float>(pos, i + j));
                for (int k = 0; k < w; k++)
                {
                    Assert.Equal(ev[k], e[j + k]);
                    Assert.Equal(lv[k], l[j + k]);
                }
            }
        }
    }
}
