// Per-row SIMD cores of the Cpu path. A row is one (b, d) channel: head = the K-1 inputs before x (null = zeros),
// x = L time-contiguous inputs. Lanes run along time: one Vector<float> holds outputs t..t+V-1 and each tap k adds
// w[k] · x[t-(K-1)+k .. +V-1] (an unaligned load of the shifted window). Scalar equivalent: Reference.Pre.
// The cores are AggressiveOptimization: fully optimised on the first call, never run as tier-0 loops.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    /// <summary>xp[j] of the padded row concat(head, x) (H = K-1 leading values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Xp(float* head, float* x, int H, int j) =>
        j >= H ? x[j - H] : head == null ? 0f : head[j];

    /// <summary>silu(a) = a / (1 + exp(−a)), lane-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> SiluVec(Vector<float> a) => a / (Vector<float>.One + ExpVec(-a));

    /// <summary>y[t] = act(bias + Σ_k w[k]·xp[t+k]) for one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardRow(float* head, float* x, int L, float* w, int K, float bias, float* y,
        bool silu)
    {
        int H = K - 1, V = Vector<float>.Count, t = 0;
        for (; t < Math.Min(H, L); t++)
        {
            float a = bias;
            for (int k = 0; k < K; k++) a += w[k] * Xp(head, x, H, t + k);
            y[t] = silu ? KernelMath.Silu(a) : a;
        }
        var vb = new Vector<float>(bias);
        float* xs = x - H; // xs[t + k] = xp[t + k] for t >= H
        if (K == 4)
        {
            if (Vector512.IsHardwareAccelerated) t = ForwardK4Wide(xs, t, L, w, bias, y, silu);
            Vector<float> w0 = new(w[0]), w1 = new(w[1]), w2 = new(w[2]), w3 = new(w[3]);
            for (; t + V <= L; t += V)
            {
                var a = Vector.FusedMultiplyAdd(w0, Vector.Load(xs + t), vb);
                var c = w1 * Vector.Load(xs + t + 1);
                a = Vector.FusedMultiplyAdd(w2, Vector.Load(xs + t + 2), a);
                c = Vector.FusedMultiplyAdd(w3, Vector.Load(xs + t + 3), c);
                a += c;
                Vector.Store(silu ? SiluVec(a) : a, y + t);
            }
        }
        else
        {
            for (; t + V <= L; t += V)
            {
                var a = vb;
                for (int k = 0; k < K; k++)
                    a = Vector.FusedMultiplyAdd(new Vector<float>(w[k]), Vector.Load(xs + t + k), a);
                Vector.Store(silu ? SiluVec(a) : a, y + t);
            }
        }
        for (; t < L; t++)
        {
            float a = bias;
            for (int k = 0; k < K; k++) a += w[k] * xs[t + k];
            y[t] = silu ? KernelMath.Silu(a) : a;
        }
    }

    /// <summary>The K = 4 body of <see cref="ForwardRow"/> on 512-bit vectors from t; returns where it stopped
    /// (L when at least one vector fits). The stores are 64-byte aligned: the first vector is stored where it falls
    /// and the loop goes on from the next aligned output, and a last vector ending at L covers the tail; the
    /// overlapping outputs are recomputed by the same lane-wise arithmetic, so every output has the same bits
    /// wherever the row lies in memory. (A misaligned 512-bit store writes two cache lines.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ForwardK4Wide(float* xs, int t, int L, float* w, float bias, float* y, bool silu)
    {
        if (L - t < 16) return t;
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]);
        Vector512<float> w3 = Vector512.Create(w[3]), vb = Vector512.Create(bias);
        Vector512<float> nl2e = Vector512.Create(-KernelMath.Log2E);
        Vector512.Store(K4(xs + t, w0, w1, w2, w3, vb, nl2e, silu), y + t);
        t += 16 - (int)(((nint)(y + t) & 63) >> 2);   // y + t is m floats past a 64-byte boundary
        for (; t + 16 <= L; t += 16) Vector512.Store(K4(xs + t, w0, w1, w2, w3, vb, nl2e, silu), y + t);
        if (t < L) Vector512.Store(K4(xs + L - 16, w0, w1, w2, w3, vb, nl2e, silu), y + L - 16);
        return L;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> K4(float* xt, Vector512<float> w0, Vector512<float> w1,
        Vector512<float> w2, Vector512<float> w3, Vector512<float> vb, Vector512<float> nl2e, bool silu)
    {
        var a = Vector512.FusedMultiplyAdd(w0, Vector512.Load(xt), vb);
        var c = w1 * Vector512.Load(xt + 1);
        a = Vector512.FusedMultiplyAdd(w2, Vector512.Load(xt + 2), a);
        c = Vector512.FusedMultiplyAdd(w3, Vector512.Load(xt + 3), c);
        a += c;
        return silu ? a / (Vector512<float>.One + KernelMath.Exp2(a * nl2e)) : a;
    }

    /// <summary>Backward of one row: g = dy·act'(pre) (into scratch g), dx[t] = Σ_k w[k]·g[t+H−k], dhead[j] (H values,
    /// always written), dw[k] += Σ_t g[t]·xp[t+k]. Returns Σ_t g[t] (the bias gradient of this row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float BackwardRow(float* head, float* x, int L, float* w, int K, float bias, float* dy,
        bool silu, float* g, float* dx, float* dhead, float* dw)
    {
        int H = K - 1, V = Vector<float>.Count, t;
        float db = K == 4 ? GradAndWeightsK4(head, x, L, w, bias, dy, silu, g, dw)
            : GradAndWeights(head, x, L, w, K, bias, dy, silu, g, dw);
        if (K == 4 && !silu) g = dy;   // without the activation g = dy, which the K = 4 pass does not copy
        // dx[t] = Σ_k w[k]·g[t+H−k]; all taps in range while t + H < L.
        int body = Math.Max(0, L - H);
        t = 0;
        float* gs0 = g + H; // gs0[t - k] = g[t + H - k]
        if (K == 4)
        {
            Vector<float> w0 = new(w[0]), w1 = new(w[1]), w2 = new(w[2]), w3 = new(w[3]);
            if (Vector512.IsHardwareAccelerated && body >= 16)
            {
                // Aligned stores as in ForwardK4Wide: the first vector where it falls, then from the next aligned
                // output, and a last vector ending at body; the overlaps are recomputed with the same bits.
                Vector512<float> v0 = Vector512.Create(w[0]), v1 = Vector512.Create(w[1]);
                Vector512<float> v2 = Vector512.Create(w[2]), v3 = Vector512.Create(w[3]);
                Vector512.Store(TransposedK4(gs0, v0, v1, v2, v3), dx);
                for (t = 16 - (int)(((nint)dx & 63) >> 2); t + 16 <= body; t += 16)
                    Vector512.Store(TransposedK4(gs0 + t, v0, v1, v2, v3), dx + t);
                if (t < body) Vector512.Store(TransposedK4(gs0 + body - 16, v0, v1, v2, v3), dx + body - 16);
                t = body;
            }
            for (; t + V <= body; t += V)
            {
                var a = Vector.FusedMultiplyAdd(w0, Vector.Load(gs0 + t), w1 * Vector.Load(gs0 + t - 1));
                a = Vector.FusedMultiplyAdd(w2, Vector.Load(gs0 + t - 2), a);
                Vector.Store(Vector.FusedMultiplyAdd(w3, Vector.Load(gs0 + t - 3), a), dx + t);
            }
        }
        for (; t + V <= body; t += V)
        {
            var a = Vector<float>.Zero;
            for (int k = 0; k < K; k++)
                a = Vector.FusedMultiplyAdd(new Vector<float>(w[k]), Vector.Load(gs0 + t - k), a);
            Vector.Store(a, dx + t);
        }
        for (; t < L; t++) dx[t] = TransposedTap(g, L, w, K, t + H);
        for (int j = 0; j < H; j++) dhead[j] = TransposedTap(g, L, w, K, j);
        return db;
    }

    // Σ_k w[k]·g[t−k] for 16 outputs t (gt points at g[t + H]).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> TransposedK4(float* gt, Vector512<float> v0, Vector512<float> v1,
        Vector512<float> v2, Vector512<float> v3)
    {
        var a = Vector512.FusedMultiplyAdd(v0, Vector512.Load(gt), v1 * Vector512.Load(gt - 1));
        a = Vector512.FusedMultiplyAdd(v2, Vector512.Load(gt - 2), a);
        return Vector512.FusedMultiplyAdd(v3, Vector512.Load(gt - 3), a);
    }

    /// <summary>Multi-pass form for any K: g = dy·act'(pre) into g, then dw[k] += g·xp[·+k] as K dot
    /// products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float GradAndWeights(float* head, float* x, int L, float* w, int K, float bias, float* dy,
        bool silu, float* g, float* dw)
    {
        int H = K - 1, V = Vector<float>.Count, t = 0;
        if (silu)
        {
            ForwardPre(head, x, L, w, K, bias, g);
            for (; t + V <= L; t += V)
            {
                var a = Vector.Load(g + t);
                var s = Vector<float>.One / (Vector<float>.One + ExpVec(-a));
                Vector.Store(Vector.Load(dy + t) * s * (Vector<float>.One + a * (Vector<float>.One - s)), g + t);
            }
            for (; t < L; t++) g[t] = dy[t] * KernelMath.SiluGrad(g[t]);
        }
        else new ReadOnlySpan<float>(dy, L).CopyTo(new Span<float>(g, L));
        var gs = new ReadOnlySpan<float>(g, L);
        for (int k = 0; k < K; k++)
        {
            int t0 = Math.Min(L, Math.Max(0, H - k));
            float acc = 0;
            if (head != null)
                for (int u = 0; u < t0; u++) acc += g[u] * head[u + k];
            if (L > t0)
                acc += System.Numerics.Tensors.TensorPrimitives.Dot(gs.Slice(t0),
                    new ReadOnlySpan<float>(x + t0 + k - H, L - t0));
            dw[k] += acc;
        }
        return System.Numerics.Tensors.TensorPrimitives.Sum(gs);
    }

    /// <summary>One fused pass for K = 4: per lane block, recompute pre from the four shifted x windows, form
    /// g = dy·silu'(pre) (or dy), store g (only with SiLU: otherwise g is dy) and accumulate dw[k] += g·x[t−3+k]
    /// and Σ g in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float GradAndWeightsK4(float* head, float* x, int L, float* w, float bias, float* dy,
        bool silu, float* g, float* dw)
    {
        const int H = 3;
        int V = Vector<float>.Count, t = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, sb = 0;
        for (; t < Math.Min(H, L); t++)
        {
            float x0 = Xp(head, x, H, t), x1 = Xp(head, x, H, t + 1);
            float x2 = Xp(head, x, H, t + 2), x3 = Xp(head, x, H, t + 3);
            float gt = dy[t];
            if (silu) gt *= KernelMath.SiluGrad(bias + w[0] * x0 + w[1] * x1 + w[2] * x2 + w[3] * x3);
            if (silu) g[t] = gt;
            s0 += gt * x0; s1 += gt * x1; s2 += gt * x2; s3 += gt * x3; sb += gt;
        }
        float* xs = x - H;
        if (Vector512.IsHardwareAccelerated) t = GradAndWeightsK4Wide(xs, t, L, w, bias, dy, silu, g, ref s0, ref s1,
            ref s2, ref s3, ref sb);
        Vector<float> w0 = new(w[0]), w1 = new(w[1]), w2 = new(w[2]), w3 = new(w[3]), vb = new(bias);
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, ab = default, one = Vector<float>.One;
        for (; t + V <= L; t += V)
        {
            Vector<float> x0 = Vector.Load(xs + t), x1 = Vector.Load(xs + t + 1);
            Vector<float> x2 = Vector.Load(xs + t + 2), x3 = Vector.Load(xs + t + 3);
            var gv = Vector.Load(dy + t);
            if (silu)
            {
                var pre = Vector.FusedMultiplyAdd(w0, x0, Vector.FusedMultiplyAdd(w1, x1,
                    Vector.FusedMultiplyAdd(w2, x2, Vector.FusedMultiplyAdd(w3, x3, vb))));
                var sg = one / (one + ExpVec(-pre));
                gv = gv * sg * Vector.FusedMultiplyAdd(pre, one - sg, one);
            }
            if (silu) Vector.Store(gv, g + t);
            a0 = Vector.FusedMultiplyAdd(gv, x0, a0);
            a1 = Vector.FusedMultiplyAdd(gv, x1, a1);
            a2 = Vector.FusedMultiplyAdd(gv, x2, a2);
            a3 = Vector.FusedMultiplyAdd(gv, x3, a3);
            ab += gv;
        }
        for (; t < L; t++)
        {
            float x0 = xs[t], x1 = xs[t + 1], x2 = xs[t + 2], x3 = xs[t + 3];
            float gt = dy[t];
            if (silu) gt *= KernelMath.SiluGrad(bias + w[0] * x0 + w[1] * x1 + w[2] * x2 + w[3] * x3);
            if (silu) g[t] = gt;
            s0 += gt * x0; s1 += gt * x1; s2 += gt * x2; s3 += gt * x3; sb += gt;
        }
        dw[0] += s0 + Vector.Sum(a0);
        dw[1] += s1 + Vector.Sum(a1);
        dw[2] += s2 + Vector.Sum(a2);
        dw[3] += s3 + Vector.Sum(a3);
        return sb + Vector.Sum(ab);
    }

    /// <summary>The body of <see cref="GradAndWeightsK4"/> on 512-bit vectors from t (half the instructions per
    /// output); adds its sums into the scalar ones and returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int GradAndWeightsK4Wide(float* xs, int t, int L, float* w, float bias, float* dy, bool silu,
        float* g, ref float s0, ref float s1, ref float s2, ref float s3, ref float sb)
    {
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]);
        Vector512<float> w3 = Vector512.Create(w[3]), vb = Vector512.Create(bias), one = Vector512<float>.One;
        Vector512<float> nl2e = Vector512.Create(-KernelMath.Log2E);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, ab = default;
        for (; t + 16 <= L; t += 16)
        {
            Vector512<float> x0 = Vector512.Load(xs + t), x1 = Vector512.Load(xs + t + 1);
            Vector512<float> x2 = Vector512.Load(xs + t + 2), x3 = Vector512.Load(xs + t + 3);
            var gv = Vector512.Load(dy + t);
            if (silu)
            {
                var pre = Vector512.FusedMultiplyAdd(w0, x0, Vector512.FusedMultiplyAdd(w1, x1,
                    Vector512.FusedMultiplyAdd(w2, x2, Vector512.FusedMultiplyAdd(w3, x3, vb))));
                var sg = one / (one + KernelMath.Exp2(pre * nl2e));
                gv = gv * sg * Vector512.FusedMultiplyAdd(pre, one - sg, one);
            }
            if (silu) Vector512.Store(gv, g + t);
            a0 = Vector512.FusedMultiplyAdd(gv, x0, a0);
            a1 = Vector512.FusedMultiplyAdd(gv, x1, a1);
            a2 = Vector512.FusedMultiplyAdd(gv, x2, a2);
            a3 = Vector512.FusedMultiplyAdd(gv, x3, a3);
            ab += gv;
        }
        s0 += Vector512.Sum(a0);
        s1 += Vector512.Sum(a1);
        s2 += Vector512.Sum(a2);
        s3 += Vector512.Sum(a3);
        sb += Vector512.Sum(ab);
        return t;
    }

    /// <summary>dxp[j] = Σ_k w[k]·g[j−k] over the taps with 0 ≤ j−k &lt; L.</summary>
    private static unsafe float TransposedTap(float* g, int L, float* w, int K, int j)
    {
        float a = 0;
        for (int k = 0; k < K; k++)
        {
            int u = j - k;
            if (u >= 0 && u < L) a += w[k] * g[u];
        }
        return a;
    }

    /// <summary>Pre-activation bias + Σ_k w[k]·xp[t+k] into pre (no activation).</summary>
    private static unsafe void ForwardPre(float* head, float* x, int L, float* w, int K, float bias, float* pre) =>
        ForwardRow(head, x, L, w, K, bias, pre, silu: false);

    /// <summary>Cotangent of the last K-1 columns of xp (final state / shifted state) added into dx or dhead.</summary>
    private static unsafe void AddTailCotangent(float* dTail, int count, int L, int H, float* dx, float* dhead)
    {
        // tail column i is xp[L + H - count + i]
        for (int i = 0; i < count; i++)
        {
            int j = L + H - count + i;
            if (j >= H) dx[j - H] += dTail[i];
            else dhead[j] += dTail[i];
        }
    }
}
