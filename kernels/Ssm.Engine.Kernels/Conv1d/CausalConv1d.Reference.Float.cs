// float32 entry points of the reference: widen to float64, run the float64 loops, round once on the way out.
namespace Ssm.Engine.Kernels.Conv1d;

public static partial class CausalConv1d
{
    public static partial class Reference
    {
        /// <summary>float32 form of the float64 <c>Forward</c>.</summary>
        public static void Forward(in CausalConv1dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates, Span<float> y, Span<float> finalStates,
            CausalConv1dOptions o)
        {
            var yd = new double[y.Length];
            var fd = new double[finalStates.Length];
            Forward(s, W(x), W(weight), W(bias), W(initialStates), yd, fd, o);
            N(yd, y);
            N(fd, finalStates);
        }

        /// <summary>float32 form of the float64 <c>Backward</c>.</summary>
        public static void Backward(in CausalConv1dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, ReadOnlySpan<float> initialStates, ReadOnlySpan<float> dy,
            ReadOnlySpan<float> dFinalStates, Span<float> dx, Span<float> dWeight, Span<float> dBias,
            Span<float> dInitialStates, CausalConv1dOptions o)
        {
            double[] gx = new double[dx.Length], gw = new double[dWeight.Length], gb = new double[dBias.Length];
            double[] gi = new double[dInitialStates.Length];
            Backward(s, W(x), W(weight), W(bias), W(initialStates), W(dy), W(dFinalStates), gx, gw, gb, gi, o);
            N(gx, dx);
            N(gw, dWeight);
            N(gb, dBias);
            N(gi, dInitialStates);
        }

        /// <summary>float32 form of the float64 <c>Step</c>.</summary>
        public static void Step(in CausalConv1dUpdateShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> convState,
            ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<int> cacheSeqlens, Span<float> y,
            Span<float> newState, CausalConv1dOptions o)
        {
            double[] yd = new double[y.Length], nd = new double[newState.Length];
            Step(s, W(x), W(convState), W(weight), W(bias), cacheSeqlens, yd, nd, o);
            N(yd, y);
            N(nd, newState);
        }

        /// <summary>float32 form of the float64 <c>StepBackward</c>.</summary>
        public static void StepBackward(in CausalConv1dUpdateShape s, ReadOnlySpan<float> x,
            ReadOnlySpan<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
            ReadOnlySpan<int> cacheSeqlens, ReadOnlySpan<float> dy, ReadOnlySpan<float> dNewState, Span<float> dx,
            Span<float> dConvState, Span<float> dWeight, Span<float> dBias, CausalConv1dOptions o)
        {
            double[] gx = new double[dx.Length], gs = new double[dConvState.Length];
            double[] gw = new double[dWeight.Length], gb = new double[dBias.Length];
            StepBackward(s, W(x), W(convState), W(weight), W(bias), cacheSeqlens, W(dy), W(dNewState), gx, gs, gw,
                gb, o);
            N(gx, dx);
            N(gs, dConvState);
            N(gw, dWeight);
            N(gb, dBias);
        }

        private static double[] W(ReadOnlySpan<float> a)
        {
            var r = new double[a.Length];
            for (int i = 0; i < a.Length; i++) r[i] = a[i];
            return r;
        }

        private static void N(double[] a, Span<float> dst)
        {
            for (int i = 0; i < a.Length; i++) dst[i] = (float)a[i];
        }
    }
}
