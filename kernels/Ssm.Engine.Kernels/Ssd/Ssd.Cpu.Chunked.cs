// Chunked (matrix) SSD forward on the CPU: must match Ssd.Reference.Forward. Per chunk of q ≤ Q tokens with
// log-decay cumsum cs_i (the tail chunk is simply shorter, i.e. padded with dt = 0: no decay, no input):
//   Y[i]  = exp(cs_i)·Σ_n C_i[n]·S[n, :]                                  (state from earlier chunks)
//         + Σ_{j ≤ i} exp(cs_i − cs_j)·(C_i·B_j)·u_j                       (intra-chunk, causal)
//   S[n] ← exp(cs_{q−1})·S[n] + Σ_j B_j[n]·exp(cs_{q−1} − cs_j)·u_j        (state passed to the next chunk)
// Lanes run over P (see Ssd.Cpu.cs); the q × q weights use TensorPrimitives Exp/Dot.
using System.Numerics;
using System.Numerics.Tensors;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        private static unsafe void ChunkedItem(Core c, int b, int h, int p0, int p1, Scratch w, int chunk)
        {
            var s = c.S;
            int pp = c.Pp, stride = s.G * s.N, g = h / s.HeadsPerGroup, v = Lanes, n = s.N;
            w.M ??= new float[chunk * chunk];
            w.Cs ??= new float[chunk];
            w.Uw ??= new float[chunk * pp];
            float[] m = w.M, cs = w.Cs;
            fixed (float* st = w.State, u = w.U, y = w.Y, e = w.Decay, mp = m, uw = w.Uw, bm = c.Bm, cm = c.Cm)
            {
                for (int c0 = 0; c0 < s.L; c0 += chunk)
                {
                    int q = Math.Min(chunk, s.L - c0);
                    PrepareTokens(c, b, h, c0, q, p0, p1, w, decay: false);
                    double acc = 0;
                    for (int i = 0; i < q; i++)
                    {
                        acc += c.DA[(b * s.L + c0 + i) * s.H + h];
                        cs[i] = (float)acc;
                    }
                    TensorPrimitives.Exp(cs.AsSpan(0, q), w.Decay.AsSpan(0, q));
                    float* bt = bm + ((b * s.L + c0) * s.G + g) * n, ct = cm + ((b * s.L + c0) * s.G + g) * n;
                    // Inter-chunk term: Y[i, :] = e_i · Σ_n C_i[n] S[n, :].
                    for (int pt = p0; pt < p1; pt += v)
                    {
                        int i = 0;
                        for (; i + 4 <= q; i += 4)
                            InterTile4(st + pt, pp, ct + i * stride, stride, n, e + i, y + i * pp + pt, pp);
                        for (; i < q; i++) InterTile1(st + pt, pp, ct + i * stride, n, e[i], y + i * pp + pt);
                    }
                    // Intra-chunk weights M[i, j] = exp(cs_i − cs_j)·(C_i·B_j), zero above the diagonal.
                    for (int i = 0; i < q; i++)
                    {
                        var row = m.AsSpan(i * chunk, q);
                        var ci = c.Cm.AsSpan((int)(ct - cm) + i * stride, n);
                        for (int j = 0; j <= i; j++) row[j] = cs[i] - cs[j];
                        TensorPrimitives.Exp(row[..(i + 1)], row[..(i + 1)]);
                        for (int j = 0; j <= i; j++)
                            row[j] *= TensorPrimitives.Dot(ci, c.Bm.AsSpan((int)(bt - bm) + j * stride, n));
                        row[(i + 1)..].Clear();
                    }
                    for (int pt = p0; pt < p1; pt += v)
                    {
                        int i = 0;
                        for (; i + 4 <= q; i += 4)
                            IntraTile4(mp + i * chunk, chunk, u + pt, pp, y + i * pp + pt, i + 4);
                        for (; i < q; i++) IntraTile1(mp + i * chunk, u + pt, pp, y + i * pp + pt, i + 1);
                    }
                    // State passing: uw_j = exp(cs_last − cs_j)·u_j, S = exp(cs_last)·S + Σ_j B_j ⊗ uw_j.
                    float last = cs[q - 1];
                    for (int j = 0; j < q; j++)
                    {
                        float wj = MathF.Exp(last - cs[j]);
                        var uRow = w.U.AsSpan(j * pp + p0, p1 - p0);
                        TensorPrimitives.Multiply(uRow, wj, w.Uw.AsSpan(j * pp + p0, p1 - p0));
                    }
                    var etot = new Vector<float>(e[q - 1]);
                    for (int pt = p0; pt < p1; pt += v)
                    {
                        int k = 0;
                        for (; k + 4 <= n; k += 4) StateTile4(st + k * pp + pt, pp, bt + k, stride, uw + pt, q, etot);
                        for (; k < n; k++) StateTile1(st + k * pp + pt, bt + k, stride, uw + pt, pp, q, etot);
                    }
                    WriteOutput(c, b, h, c0, q, p0, p1, w);
                }
            }
        }

        // y rows i..i+3 (stride ys) at one P vector = e_i · Σ_n C_i[n]·S[n, :].
        private static unsafe void InterTile4(float* st, int pp, float* ct, int stride, int n, float* e, float* y,
            int ys)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < n; k++)
            {
                var sv = Ld(st + k * pp);
                a0 = Fma(sv, new Vector<float>(ct[k]), a0);
                a1 = Fma(sv, new Vector<float>(ct[stride + k]), a1);
                a2 = Fma(sv, new Vector<float>(ct[2 * stride + k]), a2);
                a3 = Fma(sv, new Vector<float>(ct[3 * stride + k]), a3);
            }
            St(y, a0 * e[0]);
            St(y + ys, a1 * e[1]);
            St(y + 2 * ys, a2 * e[2]);
            St(y + 3 * ys, a3 * e[3]);
        }

        private static unsafe void InterTile1(float* st, int pp, float* ct, int n, float e, float* y)
        {
            Vector<float> a0 = default;
            for (int k = 0; k < n; k++) a0 = Fma(Ld(st + k * pp), new Vector<float>(ct[k]), a0);
            St(y, a0 * e);
        }

        // y rows i..i+3 += Σ_{j < jEnd} M[i, j]·u_j (M is zero above the diagonal).
        private static unsafe void IntraTile4(float* m, int ms, float* u, int pp, float* y, int jEnd)
        {
            Vector<float> a0 = Ld(y), a1 = Ld(y + pp), a2 = Ld(y + 2 * pp), a3 = Ld(y + 3 * pp);
            for (int j = 0; j < jEnd; j++)
            {
                var uj = Ld(u + j * pp);
                a0 = Fma(uj, new Vector<float>(m[j]), a0);
                a1 = Fma(uj, new Vector<float>(m[ms + j]), a1);
                a2 = Fma(uj, new Vector<float>(m[2 * ms + j]), a2);
                a3 = Fma(uj, new Vector<float>(m[3 * ms + j]), a3);
            }
            St(y, a0); St(y + pp, a1); St(y + 2 * pp, a2); St(y + 3 * pp, a3);
        }

        private static unsafe void IntraTile1(float* m, float* u, int pp, float* y, int jEnd)
        {
            var a0 = Ld(y);
            for (int j = 0; j < jEnd; j++) a0 = Fma(Ld(u + j * pp), new Vector<float>(m[j]), a0);
            St(y, a0);
        }

        // State rows k..k+3 at one P vector: S = etot·S + Σ_j B_j[k]·uw_j.
        private static unsafe void StateTile4(float* st, int pp, float* bt, int stride, float* uw, int q,
            Vector<float> etot)
        {
            Vector<float> s0 = Ld(st) * etot, s1 = Ld(st + pp) * etot;
            Vector<float> s2 = Ld(st + 2 * pp) * etot, s3 = Ld(st + 3 * pp) * etot;
            for (int j = 0; j < q; j++)
            {
                var uj = Ld(uw + j * pp);
                float* bj = bt + j * stride;
                s0 = Fma(uj, new Vector<float>(bj[0]), s0);
                s1 = Fma(uj, new Vector<float>(bj[1]), s1);
                s2 = Fma(uj, new Vector<float>(bj[2]), s2);
                s3 = Fma(uj, new Vector<float>(bj[3]), s3);
            }
            St(st, s0); St(st + pp, s1); St(st + 2 * pp, s2); St(st + 3 * pp, s3);
        }

        private static unsafe void StateTile1(float* st, float* bt, int stride, float* uw, int pp, int q,
            Vector<float> etot)
        {
            var s0 = Ld(st) * etot;
            for (int j = 0; j < q; j++) s0 = Fma(Ld(uw + j * pp), new Vector<float>(bt[j * stride]), s0);
            St(st, s0);
        }
    }
}
