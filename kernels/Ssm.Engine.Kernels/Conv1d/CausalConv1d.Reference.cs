// Plain loops over an explicit padded row xp = concat(head, x) with float64 accumulation: the specification
// and test oracle of every CausalConv1d path. The float64 overloads serve finite-difference gradient checks.
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    /// <summary>Reference loops (float64 inside). Empty optional spans mean "absent".</summary>
    public static partial class Reference
    {
        /// <summary>y = act(conv(concat(initial_states, x)) + bias); final_states = last K-1 columns of xp.
        /// x, y: (B, D, L); weight: (D, K); bias: (D,); initial/final states: (B, D, K-1).</summary>
        public static void Forward(in CausalConv1dShape s, ReadOnlySpan<double> x, ReadOnlySpan<double> weight,
            ReadOnlySpan<double> bias, ReadOnlySpan<double> initialStates, Span<double> y, Span<double> finalStates,
            CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, y.Length, finalStates.Length);
            int K = s.Width, L = s.Length, H = s.StateWidth;
            var xp = new double[H + L];
            for (int r = 0; r < s.Rows; r++)
            {
                int d = r % s.Channels;
                FillPadded(xp, initialStates.IsEmpty ? default : initialStates.Slice(r * H, H), x.Slice(r * L, L));
                for (int t = 0; t < L; t++)
                {
                    double a = Pre(xp, weight.Slice(d * K, K), bias.IsEmpty ? 0 : bias[d], t);
                    y[r * L + t] = o.Silu ? KernelMath.Silu(a) : a;
                }
                if (!finalStates.IsEmpty) xp.AsSpan(L, H).CopyTo(finalStates.Slice(r * H, H));
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dFinal·final_states. dBias, dInitialStates may be empty
        /// (not wanted); dFinalStates may be empty (no cotangent).
        /// Gradients are overwritten, not accumulated.</summary>
        public static void Backward(in CausalConv1dShape s, ReadOnlySpan<double> x, ReadOnlySpan<double> weight,
            ReadOnlySpan<double> bias, ReadOnlySpan<double> initialStates, ReadOnlySpan<double> dy,
            ReadOnlySpan<double> dFinalStates, Span<double> dx, Span<double> dWeight, Span<double> dBias,
            Span<double> dInitialStates, CausalConv1dOptions o)
        {
            Validate(s, x.Length, weight.Length, bias.Length, initialStates.Length, dy.Length, dFinalStates.Length);
            Validate(s, dx.Length, dWeight.Length, dBias.Length, dInitialStates.Length, dy.Length, 0);
            int K = s.Width, L = s.Length, H = s.StateWidth;
            var xp = new double[H + L];
            var dxp = new double[H + L];
            dWeight.Clear();
            dBias.Clear();
            for (int r = 0; r < s.Rows; r++)
            {
                int d = r % s.Channels;
                FillPadded(xp, initialStates.IsEmpty ? default : initialStates.Slice(r * H, H), x.Slice(r * L, L));
                double db = RowBackward(xp, weight.Slice(d * K, K), bias.IsEmpty ? 0 : bias[d], dy.Slice(r * L, L),
                    o.Silu, dxp, dWeight.Slice(d * K, K));
                if (!dBias.IsEmpty) dBias[d] += db;
                if (!dFinalStates.IsEmpty)
                    for (int i = 0; i < H; i++) dxp[L + i] += dFinalStates[r * H + i];
                dxp.AsSpan(H, L).CopyTo(dx.Slice(r * L, L));
                if (!dInitialStates.IsEmpty) dxp.AsSpan(0, H).CopyTo(dInitialStates.Slice(r * H, H));
            }
        }

        /// <summary>Decode update: y (B, D, L) and the new conv state (B, D, S) from x (B, D, L) and conv_state
        /// (B, D, S). cacheSeqlens (B,) selects the circular buffer; empty = linear.
        /// newState may alias convState.</summary>
        public static void Step(in CausalConv1dUpdateShape s, ReadOnlySpan<double> x, ReadOnlySpan<double> convState,
            ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, ReadOnlySpan<int> cacheSeqlens, Span<double> y,
            Span<double> newState, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, y.Length,
                newState.Length);
            int K = s.Width, L = s.Length, S = s.StateLength, H = K - 1;
            var xp = new double[H + L];
            var st = new double[S];
            for (int r = 0; r < s.Rows; r++)
            {
                int d = r % s.Channels, b = r / s.Channels;
                convState.Slice(r * S, S).CopyTo(st);
                for (int i = 0; i < H; i++) xp[i] = st[HeadIndex(cacheSeqlens, b, S, H, i)];
                x.Slice(r * L, L).CopyTo(xp.AsSpan(H));
                for (int t = 0; t < L; t++)
                {
                    double a = Pre(xp, weight.Slice(d * K, K), bias.IsEmpty ? 0 : bias[d], t);
                    y[r * L + t] = o.Silu ? KernelMath.Silu(a) : a;
                }
                var ns = newState.Slice(r * S, S);
                if (cacheSeqlens.IsEmpty)
                    for (int i = 0; i < S; i++) ns[i] = i + L < S ? st[i + L] : x[r * L + i + L - S];
                else
                {
                    st.CopyTo(ns);
                    for (int t = 0; t < L; t++) ns[Wrap(cacheSeqlens[b], t, S)] = x[r * L + t];
                }
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dNewState·new_state for <c>Step</c>; overwritten.</summary>
        public static void StepBackward(in CausalConv1dUpdateShape s, ReadOnlySpan<double> x,
            ReadOnlySpan<double> convState, ReadOnlySpan<double> weight, ReadOnlySpan<double> bias,
            ReadOnlySpan<int> cacheSeqlens, ReadOnlySpan<double> dy, ReadOnlySpan<double> dNewState, Span<double> dx,
            Span<double> dConvState, Span<double> dWeight, Span<double> dBias, CausalConv1dOptions o)
        {
            Validate(s, x.Length, convState.Length, weight.Length, bias.Length, cacheSeqlens.Length, dy.Length,
                dNewState.Length);
            Validate(s, dx.Length, dConvState.Length, dWeight.Length, dBias.Length, 0, dy.Length, dNewState.Length);
            int K = s.Width, L = s.Length, S = s.StateLength, H = K - 1;
            var xp = new double[H + L];
            var dxp = new double[H + L];
            var last = new int[S];
            dWeight.Clear();
            dBias.Clear();
            for (int r = 0; r < s.Rows; r++)
            {
                int d = r % s.Channels, b = r / s.Channels;
                for (int i = 0; i < H; i++) xp[i] = convState[r * S + HeadIndex(cacheSeqlens, b, S, H, i)];
                x.Slice(r * L, L).CopyTo(xp.AsSpan(H));
                double db = RowBackward(xp, weight.Slice(d * K, K), bias.IsEmpty ? 0 : bias[d], dy.Slice(r * L, L),
                    o.Silu, dxp, dWeight.Slice(d * K, K));
                if (!dBias.IsEmpty) dBias[d] += db;
                var ds = dConvState.Slice(r * S, S);
                var dxr = dx.Slice(r * L, L);
                ds.Clear();
                dxp.AsSpan(H, L).CopyTo(dxr);
                for (int i = 0; i < H; i++) ds[HeadIndex(cacheSeqlens, b, S, H, i)] += dxp[i];
                var dn = dNewState.Slice(r * S, S);
                if (cacheSeqlens.IsEmpty)
                {
                    for (int i = 0; i < S; i++)
                        if (i + L < S) ds[i + L] += dn[i];
                        else dxr[i + L - S] += dn[i];
                }
                else
                {
                    Array.Fill(last, -1);
                    for (int t = 0; t < L; t++) last[Wrap(cacheSeqlens[b], t, S)] = t;
                    for (int p = 0; p < S; p++)
                        if (last[p] < 0) ds[p] += dn[p];
                        else dxr[last[p]] += dn[p];
                }
            }
        }

        /// <summary>Position in the state of the i-th of the K-1 inputs preceding the new tokens.</summary>
        private static int HeadIndex(ReadOnlySpan<int> cacheSeqlens, int b, int S, int H, int i) =>
            cacheSeqlens.IsEmpty ? S - H + i : Wrap(cacheSeqlens[b], i - H, S);

        private static void FillPadded(double[] xp, ReadOnlySpan<double> head, ReadOnlySpan<double> x)
        {
            int H = xp.Length - x.Length;
            if (head.IsEmpty) Array.Clear(xp, 0, H);
            else head.CopyTo(xp);
            x.CopyTo(xp.AsSpan(H));
        }

        private static double Pre(ReadOnlySpan<double> xp, ReadOnlySpan<double> w, double bias, int t)
        {
            double a = bias;
            for (int k = 0; k < w.Length; k++) a += w[k] * xp[t + k];
            return a;
        }

        /// <summary>dxp = conv-transpose of g = dy·act'(pre); dw += Σ_t g[t]·xp[t+k]; returns Σ g.</summary>
        private static double RowBackward(ReadOnlySpan<double> xp, ReadOnlySpan<double> w, double bias,
            ReadOnlySpan<double> dy, bool silu, Span<double> dxp, Span<double> dw)
        {
            int K = w.Length;
            dxp.Clear();
            double db = 0;
            for (int t = 0; t < dy.Length; t++)
            {
                double g = dy[t];
                if (silu) g *= KernelMath.SiluGrad(Pre(xp, w, bias, t));
                db += g;
                for (int k = 0; k < K; k++)
                {
                    dxp[t + k] += w[k] * g;
                    dw[k] += g * xp[t + k];
                }
            }
            return db;
        }
    }
}
