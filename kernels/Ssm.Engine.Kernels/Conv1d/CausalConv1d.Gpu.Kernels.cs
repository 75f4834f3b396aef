// ILGPU kernels shared by the full conv and its decode update. Every kernel sees the padded row
// xp = concat(head, x) (H = K-1 leading values) through Xp: the head comes from initial_states (mode Conv, zeros when
// absent), from the tail of a linear conv_state (mode Linear) or from the circular positions given by cache_seqlens
// (mode Circular). One thread per output value; weight/bias gradients are reduced per row into a partial buffer,
// then over the batch in b order, so no floating-point atomics are used and the result is reproducible.
//   x: (B, D, L)   weight: (D, K)   bias: (D,)   head: (B, D, K-1) or conv_state (B, D, S)   g: (B, D, L)
using ILGPU;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    public static partial class Gpu
    {
        internal const int ModeConv = 0, ModeLinear = 1, ModeCircular = 2;

        /// <summary>Device inputs of one call; an absent optional tensor is an empty view (its flag in
        /// <see cref="ConvArgs"/> is 0 and it is never read).</summary>
        internal readonly struct ConvViews(ArrayView<float> x, ArrayView<float> head, ArrayView<int> cacheSeqlens,
            ArrayView<float> weight, ArrayView<float> bias)
        {
            public readonly ArrayView<float> X = x, Head = head, Weight = weight, Bias = bias;
            public readonly ArrayView<int> CacheSeqlens = cacheSeqlens;
        }

        /// <summary>Sizes and flags (ints: OpenCL forbids bool kernel arguments). S is the head row stride:
        /// K-1 for the conv, the state length for the update.</summary>
        internal readonly struct ConvArgs(int mode, int batch, int channels, int length, int width, int stride,
            bool silu, bool hasBias, bool hasHead, bool hasTail)
        {
            public readonly int Mode = mode, B = batch, D = channels, L = length, K = width, H = width - 1,
                S = stride;
            public readonly int Silu = silu ? 1 : 0, HasBias = hasBias ? 1 : 0, HasHead = hasHead ? 1 : 0,
                HasTail = hasTail ? 1 : 0;
        }

        /// <summary>Head position in the state row of the i-th of the H inputs before the new tokens.</summary>
        private static int HeadPos(ConvViews v, ConvArgs a, int b, int i) =>
            a.Mode == ModeLinear ? a.S - a.H + i : Wrap(v.CacheSeqlens[b], i - a.H, a.S);

        /// <summary>xp[r, j] of the padded row concat(head, x).</summary>
        private static float Xp(ConvViews v, ConvArgs a, int r, int j)
        {
            if (j >= a.H) return v.X[r * a.L + j - a.H];
            if (a.Mode == ModeConv) return a.HasHead != 0 ? v.Head[r * a.H + j] : 0f;
            return v.Head[r * a.S + HeadPos(v, a, r / a.D, j)];
        }

        /// <summary>bias + Σ_k w[d,k]·xp[r, t+k] (k in order).</summary>
        private static float Pre(ConvViews v, ConvArgs a, int r, int t)
        {
            int d = r % a.D;
            float acc = a.HasBias != 0 ? v.Bias[d] : 0f;
            for (int k = 0; k < a.K; k++) acc += v.Weight[d * a.K + k] * Xp(v, a, r, t + k);
            return acc;
        }

        /// <summary>dxp[r, j] = Σ_k w[d,k]·g[r, j−k] over the taps with 0 ≤ j−k &lt; L.</summary>
        private static float TransposedTap(ConvViews v, ArrayView<float> g, ConvArgs a, int r, int j)
        {
            int d = r % a.D;
            float acc = 0f;
            for (int k = 0; k < a.K; k++)
            {
                int t = j - k;
                if (t >= 0 && t < a.L) acc += v.Weight[d * a.K + k] * g[r * a.L + t];
            }
            return acc;
        }

        // i over (B·D·L): y[r, t] = act(pre).
        [GpuKernel]
        internal static void ForwardKernel(Index1D i, ConvViews v, ArrayView<float> y, ConvArgs a)
        {
            float pre = Pre(v, a, i / a.L, i % a.L);
            y[i] = a.Silu != 0 ? KernelMath.Silu(pre) : pre;
        }

        // i over (B·D·(K-1)): final_states[r, j] = xp[r, L + j].
        [GpuKernel]
        internal static void FinalStatesKernel(Index1D i, ConvViews v, ArrayView<float> final, ConvArgs a) =>
            final[i] = Xp(v, a, i / a.H, a.L + i % a.H);

        // i over (B·D·S): the new conv state. Linear: shift left by L and append x. Circular: x[t] lands at
        // (cache_seqlens[b] + t) mod S, the last t wins; untouched positions keep the old state.
        [GpuKernel]
        internal static void NewStateKernel(Index1D i, ConvViews v, ArrayView<float> state, ArrayView<float> next,
            ConvArgs a)
        {
            int r = i / a.S, p = i % a.S;
            if (a.Mode == ModeLinear)
            {
                next[i] = p + a.L < a.S ? state[i + a.L] : v.X[r * a.L + p + a.L - a.S];
                return;
            }
            int last = LastWriter(v, a, r / a.D, p);
            next[i] = last < 0 ? state[i] : v.X[r * a.L + last];
        }

        /// <summary>Circular update: the last new token t written at state position p, or −1.</summary>
        private static int LastWriter(ConvViews v, ConvArgs a, int b, int p)
        {
            int last = -1;
            for (int t = 0; t < a.L; t++)
                if (Wrap(v.CacheSeqlens[b], t, a.S) == p) last = t;
            return last;
        }

        // i over (B·D·L): g = dy · act'(pre).
        [GpuKernel]
        internal static void GradKernel(Index1D i, ConvViews v, ArrayView<float> dy, ArrayView<float> g, ConvArgs a)
        {
            float gi = dy[i];
            if (a.Silu != 0) gi *= KernelMath.SiluGrad(Pre(v, a, i / a.L, i % a.L));
            g[i] = gi;
        }

        // i over (B·D·L): dx[r, t] = dxp[r, t + H] plus the cotangent of the state that x[r, t] ends up in
        // (tail: final_states (B, D, K-1) for the conv, the new conv_state (B, D, S) for the update).
        [GpuKernel]
        internal static void InputGradKernel(Index1D i, ConvViews v, ArrayView<float> g, ArrayView<float> dTail,
            ArrayView<float> dx, ConvArgs a)
        {
            int r = i / a.L, t = i % a.L, j = t + a.H;
            float acc = TransposedTap(v, g, a, r, j);
            if (a.HasTail != 0)
            {
                if (a.Mode == ModeConv)
                {
                    if (j >= a.L) acc += dTail[r * a.H + j - a.L];
                }
                else if (a.Mode == ModeLinear)
                {
                    if (t + a.S - a.L >= 0) acc += dTail[r * a.S + t + a.S - a.L];
                }
                else if (t + a.S >= a.L) acc += dTail[r * a.S + Wrap(v.CacheSeqlens[r / a.D], t, a.S)];
            }
            dx[i] = acc;
        }

        // Conv: i over (B·D·(K-1)), dinitial[r, j] = dxp[r, j] (+ dfinal[r, j − L] when the final state still
        // holds initial values, L < K-1).
        // Update: i over (B·D·S), dstate[r, p] = dxp of the head input read at p + the new-state cotangent of p
        // when no new token overwrote it.
        [GpuKernel]
        internal static void HeadGradKernel(Index1D i, ConvViews v, ArrayView<float> g, ArrayView<float> dTail,
            ArrayView<float> dHead, ConvArgs a)
        {
            if (a.Mode == ModeConv)
            {
                int r = i / a.H, j = i % a.H;
                float acc = TransposedTap(v, g, a, r, j);
                if (a.HasTail != 0 && j >= a.L) acc += dTail[r * a.H + j - a.L];
                dHead[i] = acc;
                return;
            }
            int row = i / a.S, p = i % a.S, b = row / a.D;
            float sum = 0f;
            // Head input h sits at p when HeadPos(h) == p:
            // h = p − (S − H) (linear) or (p − c + H) mod S (circular).
            int h = a.Mode == ModeLinear ? p - (a.S - a.H) : Wrap((long)p - v.CacheSeqlens[b], a.H, a.S);
            if (h >= 0 && h < a.H) sum = TransposedTap(v, g, a, row, h);
            if (a.HasTail != 0)
            {
                if (a.Mode == ModeLinear)
                {
                    if (p >= a.L) sum += dTail[i - a.L];
                }
                else if (LastWriter(v, a, b, p) < 0) sum += dTail[i];
            }
            dHead[i] = sum;
        }

        // i over (B·D·(K+1)): partial[r, k] = Σ_t g[r, t]·xp[r, t + k] for k < K, partial[r, K] = Σ_t g[r, t]
        // (t in order).
        [GpuKernel]
        internal static void RowWeightGradKernel(Index1D i, ConvViews v, ArrayView<float> g, ArrayView<float> partial,
            ConvArgs a)
        {
            int r = i / (a.K + 1), k = i % (a.K + 1);
            float acc = 0f;
            if (k == a.K)
                for (int t = 0; t < a.L; t++) acc += g[r * a.L + t];
            else
                for (int t = 0; t < a.L; t++) acc += g[r * a.L + t] * Xp(v, a, r, t + k);
            partial[i] = acc;
        }

        // i over (D·(K+1)): dweight[d, k] (or dbias[d] for k = K) = Σ_b partial[b, d, k], b in order.
        [GpuKernel]
        internal static void SumBatchKernel(Index1D i, ArrayView<float> partial, ArrayView<float> dWeight,
            ArrayView<float> dBias, ConvArgs a)
        {
            int d = i / (a.K + 1), k = i % (a.K + 1);
            float acc = 0f;
            for (int b = 0; b < a.B; b++) acc += partial[(b * a.D + d) * (a.K + 1) + k];
            if (k < a.K) dWeight[d * a.K + k] = acc;
            else if (dBias.Length > 0) dBias[d] = acc;
        }
    }
}
