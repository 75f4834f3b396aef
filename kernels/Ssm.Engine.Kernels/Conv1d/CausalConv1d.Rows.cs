// Per-row SIMD cores of the Cpu path. A row is one (b, d) channel: head = the K-1 inputs before x (null = zeros),
// x = L time-contiguous inputs. Lanes run along time: one Vector<float> holds outputs t..t+V-1 and each tap k adds
// w[k] · x[t-(K-1)+k .. +V-1] (an unaligned load of the shifted window). Scalar equivalent: Reference.Pre.
using System.Numerics;
using System.Runtime.CompilerServices;
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
    private static Vector<float> SiluVec(Vector<float> a) => a / (Vector<float>.One + Vector.Exp(-a));

    /// <summary>y[t] = act(bias + Σ_k w[k]·xp[t+k]) for one row.</summary>
    private static unsafe void ForwardRow(float* head, float* x, int L, float* w, int K, float bias, float* y, bool silu)
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
                for (int k = 0; k < K; k++) a = Vector.FusedMultiplyAdd(new Vector<float>(w[k]), Vector.Load(xs + t + k), a);
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

    /// <summary>Backward of one row: g = dy·act'(pre) (into scratch g), dx[t] = Σ_k w[k]·g[t+H−k], dhead[j] (H values,
    /// always written), dw[k] += Σ_t g[t]·xp[t+k]. Returns Σ_t g[t] (the bias gradient of this row).</summary>
    private static unsafe float BackwardRow(float* head, float* x, int L, float* w, int K, float bias, float* dy,
        bool silu, float* g, float* dx, float* dhead, float* dw)
    {
        int H = K - 1, V = Vector<float>.Count, t = 0;
        if (silu)
        {
            ForwardPre(head, x, L, w, K, bias, g);
            for (; t + V <= L; t += V)
            {
                var a = Vector.Load(g + t);
                var s = Vector<float>.One / (Vector<float>.One + Vector.Exp(-a));
                Vector.Store(Vector.Load(dy + t) * s * (Vector<float>.One + a * (Vector<float>.One - s)), g + t);
            }
            for (; t < L; t++) g[t] = dy[t] * KernelMath.SiluGrad(g[t]);
        }
        else new ReadOnlySpan<float>(dy, L).CopyTo(new Span<float>(g, L));
        var gs = new ReadOnlySpan<float>(g, L);
        float db = System.Numerics.Tensors.TensorPrimitives.Sum(gs);
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
        // dx[t] = Σ_k w[k]·g[t+H−k]; all taps in range while t + H < L.
        int body = Math.Max(0, L - H);
        t = 0;
        float* gs0 = g + H; // gs0[t - k] = g[t + H - k]
        for (; t + V <= body; t += V)
        {
            var a = Vector<float>.Zero;
            for (int k = 0; k < K; k++) a = Vector.FusedMultiplyAdd(new Vector<float>(w[k]), Vector.Load(gs0 + t - k), a);
            Vector.Store(a, dx + t);
        }
        for (; t < L; t++) dx[t] = TransposedTap(g, L, w, K, t + H);
        for (int j = 0; j < H; j++) dhead[j] = TransposedTap(g, L, w, K, j);
        return db;
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
