// Reference SSD: the plain token-by-token recurrence of FORMAT.md 4.4 / 4.6 in float64, and its hand-written
// backward (stores every state). It is the specification and test oracle of Ssd.Cpu (both algorithms).
//   core:  h_t = exp(dA_t)·h_{t-1} + (s_t·x_t) ⊗ B_t,  y_t = (h_t·C_t + D·x_t)·silu(z_t)
//   ssd:   dA_t = dt_t·A[h], s_t = dt_t (processed dt);   ssd_minimal: dA_t = A_t, s_t = 1
namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    /// <summary>Plain loops in float64: the specification and oracle of the SSD op.</summary>
    public static class Reference
    {
        /// <summary>Forward of the full op. y: (B, L, H, P); finalStates: (B, H, P, N) or null.</summary>
        public static void Forward(SsdShape s, SsdOptions o, SsdInputs<double> x, double[] y, double[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            var (dA, dtv, _) = Discretise(s, o, x);
            CoreForward(s, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, y, finalStates);
        }

        /// <summary>Backward of the full op: gradients of S = Σ dy⊙y + Σ dFinal⊙final into <paramref name="g"/>
        /// (overwritten).</summary>
        public static void Backward(SsdShape s, SsdOptions o, SsdInputs<double> x, double[] dy, double[]? dFinal,
            SsdGradients<double> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            var (dA, dtv, pass) = Discretise(s, o, x);
            var ddA = new double[s.DtLength];
            var ddtv = new double[s.DtLength];
            CoreBackward(s, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, dy, dFinal,
                g.X, ddtv, ddA, g.B, g.C, g.D, g.Z, g.InitialStates);
            Array.Clear(g.A);
            Array.Clear(g.Dt);
            if (g.DtBias is not null) Array.Clear(g.DtBias);
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                double ddt = ddtv[i] + ddA[i] * x.A[h];
                g.A[h] += ddA[i] * dtv[i];
                double raw = ddt * pass[i];
                g.Dt[i] = raw;
                if (g.DtBias is not null) g.DtBias[h] += raw;
            }
        }

        /// <summary>Forward of the pre-discretised form (ssd_minimal_discrete).</summary>
        public static void ForwardDiscrete(SsdShape s, SsdDiscreteInputs<double> x, double[] y, double[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            CoreForward(s, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, y, finalStates);
        }

        /// <summary>Backward of the pre-discretised form into <paramref name="g"/> (overwritten).</summary>
        public static void BackwardDiscrete(SsdShape s, SsdDiscreteInputs<double> x, double[] dy, double[]? dFinal,
            SsdDiscreteGradients<double> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            CoreBackward(s, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, dy, dFinal,
                g.X, null, g.A, g.B, g.C, null, null, g.InitialStates);
        }

        /// <summary>float32 convenience overload (computes in float64).</summary>
        public static void Forward(SsdShape s, SsdOptions o, SsdInputs<float> x, float[] y, float[]? finalStates)
        {
            var yd = new double[y.Length];
            var fd = finalStates is null ? null : new double[finalStates.Length];
            Forward(s, o, Widen(x), yd, fd);
            Narrow(yd, y);
            if (fd is not null) Narrow(fd, finalStates!);
        }

        /// <summary>float32 convenience overload (computes in float64).</summary>
        public static void Backward(SsdShape s, SsdOptions o, SsdInputs<float> x, float[] dy, float[]? dFinal,
            SsdGradients<float> g)
        {
            var xd = Widen(x);
            var gd = SsdGradients<double>.Allocate(xd);
            Backward(s, o, xd, Widen(dy)!, Widen(dFinal), gd);
            Narrow(gd.X, g.X); Narrow(gd.Dt, g.Dt); Narrow(gd.A, g.A); Narrow(gd.B, g.B); Narrow(gd.C, g.C);
            if (gd.D is not null) Narrow(gd.D, g.D!);
            if (gd.Z is not null) Narrow(gd.Z, g.Z!);
            if (gd.DtBias is not null) Narrow(gd.DtBias, g.DtBias!);
            if (gd.InitialStates is not null) Narrow(gd.InitialStates, g.InitialStates!);
        }

        /// <summary>float32 convenience overload of <see cref="ForwardDiscrete(SsdShape, SsdDiscreteInputs{double},
        /// double[], double[])"/>.</summary>
        public static void ForwardDiscrete(SsdShape s, SsdDiscreteInputs<float> x, float[] y, float[]? finalStates)
        {
            var yd = new double[y.Length];
            var fd = finalStates is null ? null : new double[finalStates.Length];
            ForwardDiscrete(s, Widen(x), yd, fd);
            Narrow(yd, y);
            if (fd is not null) Narrow(fd, finalStates!);
        }

        /// <summary>float32 convenience overload of the discrete backward.</summary>
        public static void BackwardDiscrete(SsdShape s, SsdDiscreteInputs<float> x, float[] dy, float[]? dFinal,
            SsdDiscreteGradients<float> g)
        {
            var xd = Widen(x);
            var gd = SsdDiscreteGradients<double>.Allocate(xd);
            BackwardDiscrete(s, xd, Widen(dy)!, Widen(dFinal), gd);
            Narrow(gd.X, g.X); Narrow(gd.A, g.A); Narrow(gd.B, g.B); Narrow(gd.C, g.C);
            if (gd.InitialStates is not null) Narrow(gd.InitialStates, g.InitialStates!);
        }

        // dA = dt·A[h], dtv = processed dt, pass = d dtv / d raw dt.
        private static (double[] dA, double[] dtv, double[] pass) Discretise(SsdShape s, SsdOptions o,
            SsdInputs<double> x)
        {
            var dA = new double[s.DtLength];
            var dtv = new double[s.DtLength];
            var pass = new double[s.DtLength];
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                dtv[i] = ProcessDt(x.Dt[i], x.DtBias?[h] ?? 0.0, o, out pass[i]);
                dA[i] = dtv[i] * x.A[h];
            }
            return (dA, dtv, pass);
        }

        internal static int DIndex(int dLength, int h, int p, int pDim, int heads) =>
            dLength == heads ? h : h * pDim + p;

        // dA, dtv: (B, L, H); x, z, y: (B, L, H, P); bm, cm: (B, L, G, N); h0, final: (B, H, P, N).
        private static void CoreForward(SsdShape s, double[] dA, double[]? dtv, double[] x, double[] bm, double[] cm,
            double[]? d, double[]? z, double[]? h0, double[] y, double[]? final)
        {
            int P = s.P, N = s.N;
            var st = new double[P * N];
            for (int b = 0; b < s.B; b++)
            for (int h = 0; h < s.H; h++)
            {
                int g = h / s.HeadsPerGroup;
                int sOff = (b * s.H + h) * P * N;
                if (h0 is null) Array.Clear(st); else Array.Copy(h0, sOff, st, 0, P * N);
                for (int t = 0; t < s.L; t++)
                {
                    int it = (b * s.L + t) * s.H + h, ix = it * P, ibc = ((b * s.L + t) * s.G + g) * N;
                    double a = Math.Exp(dA[it]), sc = dtv?[it] ?? 1.0;
                    for (int p = 0; p < P; p++)
                    {
                        double u = sc * x[ix + p], acc = 0;
                        for (int n = 0; n < N; n++)
                        {
                            st[p * N + n] = a * st[p * N + n] + u * bm[ibc + n];
                            acc += st[p * N + n] * cm[ibc + n];
                        }
                        if (d is not null) acc += d[DIndex(d.Length, h, p, P, s.H)] * x[ix + p];
                        if (z is not null) acc *= Common.KernelMath.Silu(z[ix + p]);
                        y[ix + p] = acc;
                    }
                }
                if (final is not null) Array.Copy(st, 0, final, sOff, P * N);
            }
        }

        // Gradients (overwritten): dx, dz like x; ddtv, ddA: (B, L, H); dB, dC like B; dD like D; dh0 like h0.
        private static void CoreBackward(SsdShape s, double[] dA, double[]? dtv, double[] x, double[] bm,
            double[] cm, double[]? d, double[]? z, double[]? h0, double[] dy, double[]? dFinal, double[] dx,
            double[]? ddtv, double[] ddA, double[] dB, double[] dC, double[]? dD, double[]? dz, double[]? dh0)
        {
            int P = s.P, N = s.N, L = s.L;
            Array.Clear(dx); Array.Clear(ddA); Array.Clear(dB); Array.Clear(dC);
            if (ddtv is not null) Array.Clear(ddtv);
            if (dD is not null) Array.Clear(dD);
            if (dz is not null) Array.Clear(dz);
            var hs = new double[(L + 1) * P * N];
            var dh = new double[P * N];
            var gy = new double[P];
            for (int b = 0; b < s.B; b++)
            for (int h = 0; h < s.H; h++)
            {
                int g = h / s.HeadsPerGroup;
                int sOff = (b * s.H + h) * P * N;
                Array.Clear(hs, 0, P * N);
                if (h0 is not null) Array.Copy(h0, sOff, hs, 0, P * N);
                for (int t = 0; t < L; t++)
                {
                    int it = (b * L + t) * s.H + h, ibc = ((b * L + t) * s.G + g) * N;
                    double a = Math.Exp(dA[it]), sc = dtv?[it] ?? 1.0;
                    for (int p = 0; p < P; p++)
                    for (int n = 0; n < N; n++)
                    {
                        int k = p * N + n;
                        hs[(t + 1) * P * N + k] = a * hs[t * P * N + k] + sc * x[it * P + p] * bm[ibc + n];
                    }
                }
                if (dFinal is null) Array.Clear(dh); else Array.Copy(dFinal, sOff, dh, 0, P * N);
                for (int t = L - 1; t >= 0; t--)
                {
                    int it = (b * L + t) * s.H + h, ix = it * P, ibc = ((b * L + t) * s.G + g) * N;
                    int cur = (t + 1) * P * N, prev = t * P * N;
                    double a = Math.Exp(dA[it]), sc = dtv?[it] ?? 1.0;
                    for (int p = 0; p < P; p++)
                    {
                        double gp = dy[ix + p];
                        double dv = d is null ? 0.0 : d[DIndex(d.Length, h, p, P, s.H)];
                        if (z is not null)
                        {
                            double pre = dv * x[ix + p];
                            for (int n = 0; n < N; n++) pre += hs[cur + p * N + n] * cm[ibc + n];
                            dz![ix + p] = gp * pre * Common.KernelMath.SiluGrad(z[ix + p]);
                            gp *= Common.KernelMath.Silu(z[ix + p]);
                        }
                        gy[p] = gp;
                        if (d is not null)
                        {
                            dD![DIndex(d.Length, h, p, P, s.H)] += gp * x[ix + p];
                            dx[ix + p] += gp * dv;
                        }
                    }
                    double da = 0, dscale = 0;
                    for (int p = 0; p < P; p++)
                    {
                        double du = 0;
                        for (int n = 0; n < N; n++)
                        {
                            int k = p * N + n;
                            dh[k] += gy[p] * cm[ibc + n];
                            dC[ibc + n] += gy[p] * hs[cur + k];
                            du += dh[k] * bm[ibc + n];
                            dB[ibc + n] += dh[k] * sc * x[ix + p];
                            da += dh[k] * hs[prev + k];
                            dh[k] *= a;
                        }
                        dx[ix + p] += du * sc;
                        dscale += du * x[ix + p];
                    }
                    ddA[it] = da * a;
                    if (ddtv is not null) ddtv[it] = dscale;
                }
                if (dh0 is not null) Array.Copy(dh, 0, dh0, sOff, P * N);
            }
        }

        internal static SsdInputs<double> Widen(SsdInputs<float> x) => new()
        {
            X = Widen(x.X)!, Dt = Widen(x.Dt)!, A = Widen(x.A)!, B = Widen(x.B)!, C = Widen(x.C)!,
            D = Widen(x.D), Z = Widen(x.Z), DtBias = Widen(x.DtBias), InitialStates = Widen(x.InitialStates),
        };

        internal static SsdDiscreteInputs<double> Widen(SsdDiscreteInputs<float> x) => new()
        {
            X = Widen(x.X)!, A = Widen(x.A)!, B = Widen(x.B)!, C = Widen(x.C)!, InitialStates = Widen(x.InitialStates),
        };

        internal static double[]? Widen(float[]? a) => a is null ? null : Array.ConvertAll(a, v => (double)v);

        internal static void Narrow(double[] from, float[] to)
        {
            for (int i = 0; i < from.Length; i++) to[i] = (float)from[i];
        }
    }
}
