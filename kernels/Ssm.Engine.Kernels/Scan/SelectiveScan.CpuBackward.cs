// Backward of the Cpu selective scan. Per row (b, d): recompute the forward, keeping the L+1 states
// and the L decays exp(dt·A) in a per-worker buffer (2·L·Np floats), then run the reverse-time
// recurrence  g = gh + dy·C_t;  gh_prev = g ⊙ exp(dt·A).  Gradients shared between rows are
// accumulated race-free: per-(b, d) partials for A, D, delta_bias and time-invariant B/C (summed
// over b at the end), per-worker (B·G, L, Np) buffers for variable B/C (merged under a lock).
//   dy, u, delta, z: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   h0, dLastState: (B, D, N)
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Cpu
    {
        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dLastState ⊙ last_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveScanGrads<float> Backward(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, float[]? dy, float[]? dLastState)
        {
            var g = SelectiveScanGrads<float>.ZerosLike(x);
            Backward(s, o, x, dy, dLastState, g);
            return g;
        }

        /// <summary><see cref="Backward(in SelectiveScanShape, in SelectiveScanOptions, SelectiveScanInputs{float},
        /// float[], float[])"/> into caller-owned gradients <paramref name="g"/> (shaped like the inputs, every
        /// array overwritten), so repeated calls allocate no large arrays.</summary>
        public static void Backward(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<float> x,
            float[]? dy, float[]? dLastState, SelectiveScanGrads<float> g)
        {
            Validate(s, x, dy?.Length ?? s.Batch * s.Dim * s.Length, dLastState?.Length ?? -1);
            ValidateGrads(x, g);
            Array.Clear(g.A);
            Array.Clear(g.B);
            Array.Clear(g.C);
            if (g.D is not null) Array.Clear(g.D);
            if (g.DeltaBias is not null) Array.Clear(g.DeltaBias);
            var plan = new Plan(s, x, naturalA: true);
            int np = plan.Np, rows = s.Batch * s.Dim;
            var part = new Partials(rows, np, s);
            SelectiveScanShape sh = s;
            SelectiveScanOptions op = o;
            ForEachRowChunk(s, o, () => Worker.Rent(sh, np), (lo, hi, wk) =>
            {
                for (int row = lo; row < hi;)
                {
                    if (row + RowGroup <= hi && GroupedBackward(sh, np, row))
                    {
                        RowsBackward4(sh, op, x, plan, row, dy, dLastState, g, part, wk);
                        row += RowGroup;
                    }
                    else RowBackward(sh, op, x, plan, row++, dy, dLastState, g, part, wk);
                }
            }, wk =>
            {
                if (wk.DB is not null) Add(part.VarB!, wk.DB.Span);
                if (wk.DC is not null) Add(part.VarC!, wk.DC.Span);
                Worker.Return(wk);
            });
            part.Finish(s, x, g);
        }

        private static void ValidateGrads(SelectiveScanInputs<float> x, SelectiveScanGrads<float> g)
        {
            static void Same(string name, float[]? want, float[]? got)
            {
                if ((want?.Length ?? -1) != (got?.Length ?? -1))
                    throw new ArgumentException($"[selective_scan] gradient {name} holds {got?.Length ?? 0} values, "
                                                + $"its input {want?.Length ?? 0}");
            }
            Same("du", x.U, g.U);
            Same("ddelta", x.Delta, g.Delta);
            Same("dA", x.A, g.A);
            Same("dB", x.B, g.B);
            Same("dC", x.C, g.C);
            Same("dD", x.D, g.D);
            Same("dz", x.Z, g.Z);
            Same("ddelta_bias", x.DeltaBias, g.DeltaBias);
            Same("dh0", x.H0, g.H0);
        }

        private static void Add(float[] into, ReadOnlySpan<float> from)
        {
            for (int i = 0; i < into.Length; i++) into[i] += from[i];
        }

        private static void RowBackward(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, Plan p, int row, float[]? dy, float[]? dLast, SelectiveScanGrads<float> g,
            Partials part, Worker wk)
        {
            int b = row / s.Dim, d = row % s.Dim, L = s.Length, N = s.State, np = p.Np;
            int w = Vector<float>.Count, seq = row * L;
            Span<float> dts = wk.Dt.AsSpan(0, L), gyv = wk.Gy.AsSpan(0, L);
            RowPrologue(s, o, x, row, dy, g, wk, 0);
            Span<float> hs = wk.H.Span[..((L + 1) * np)];
            hs[..np].Clear();
            if (x.H0 is not null) x.H0.AsSpan(row * N, N).CopyTo(hs);
            ref float h = ref wk.H.Ref, e = ref wk.Decay.Ref, sB = ref wk.SB.Ref, sA = ref wk.SA.Ref;
            ref float a = ref p.A[d * np];
            ref float bRef = ref p.B[p.BaseB(b, d)];
            ref float cRef = ref p.C[p.BaseC(b, d)];
            nint bStride = s.VariableB ? np : 0, cStride = s.VariableC ? np : 0;
            ReadOnlySpan<float> u = x.U.AsSpan(seq, L);
            bool rev = o.Reverse;
            ref float dcRef = ref (s.VariableC ? ref wk.DC![p.BaseC(b, d)] : ref part.InvC![row * np]);
            // Forward recompute: h[step+1] = e[step] ⊙ h[step] + dt·u·B_t (steps in processing order);
            // the per-token dot products Σ h·C go to SB (by token) and are reduced together afterwards.
            bool pair = np == 2 * w, wide = WideBackward(np);
            if (wide)
            {
                RecomputeWide(L, rev, ref a, ref bRef, bStride, ref cRef, cStride, ref dcRef, dts, u, gyv,
                    ref h, ref e, ref sB);
            }
            else if (pair)
            {
                RecomputePair(L, rev, ref a, ref bRef, bStride, ref cRef, cStride, ref dcRef, dts, u, gyv,
                    ref h, ref e, ref sB);
            }
            else for (int step = 0; step < L; step++)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t], dtu = dt * u[t];
                nint bo = t * bStride, co = t * cStride, hs0 = (nint)step * np;
                Vector<float> acc = Vector<float>.Zero, vdt = new(dt * KernelMath.Log2E);
                for (int j = 0; j < np; j += w)
                {
                    Vector<float> ej = KernelMath.Exp2(Load(ref a, j) * vdt);
                    Store(ref e, hs0 + j, ej);
                    Vector<float> hj = Vector.FusedMultiplyAdd(ej, Load(ref h, hs0 + j), Load(ref bRef, bo + j) * dtu);
                    Store(ref h, hs0 + np + j, hj);
                    acc = Vector.FusedMultiplyAdd(hj, Load(ref cRef, co + j), acc);
                }
                Store(ref sB, (nint)t * w, acc);
            }
            RowOutput(s, x, row, g, wk, 0);
            // Reverse-time recurrence: g = gh + gy·C_t;  gh ← g ⊙ e.  Σ g·B and Σ g·e·h_prev·A go to SB, SA.
            Span<float> ghs = stackalloc float[np];
            ghs.Clear();
            if (dLast is not null) dLast.AsSpan(row * N, N).CopyTo(ghs);
            ref float gh = ref ghs[0];
            ref float dA = ref part.A[row * np];
            ref float dbRef = ref (s.VariableB ? ref wk.DB![p.BaseB(b, d)] : ref part.InvB![row * np]);
            if (wide)
            {
                ReverseWide(L, rev, ref a, ref bRef, bStride, ref cRef, cStride, ref dbRef, dts, u, gyv,
                    ref h, ref e, ref sB, ref sA, ref gh, ref dA);
            }
            else if (pair)
            {
                ReversePair(L, rev, ref a, ref bRef, bStride, ref cRef, cStride, ref dbRef, dts, u, gyv,
                    ref h, ref e, ref sB, ref sA, ref gh, ref dA);
            }
            else for (int step = L - 1; step >= 0; step--)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t];
                nint bo = t * bStride, co = t * cStride, hs0 = (nint)step * np;
                Vector<float> vsB = Vector<float>.Zero, vsA = Vector<float>.Zero;
                Vector<float> vgy = new(gyv[t]), vdu = new(dt * u[t]), vdt = new(dt);
                for (int j = 0; j < np; j += w)
                {
                    Vector<float> ej = Load(ref e, hs0 + j), hPrev = Load(ref h, hs0 + j);
                    Store(ref dcRef, co + j,
                        Vector.FusedMultiplyAdd(vgy, Load(ref h, hs0 + np + j), Load(ref dcRef, co + j)));
                    Vector<float> gn = Vector.FusedMultiplyAdd(vgy, Load(ref cRef, co + j), Load(ref gh, j));
                    Store(ref dbRef, bo + j, Vector.FusedMultiplyAdd(gn, vdu, Load(ref dbRef, bo + j)));
                    vsB = Vector.FusedMultiplyAdd(gn, Load(ref bRef, bo + j), vsB);
                    Vector<float> wv = gn * ej * hPrev;
                    vsA = Vector.FusedMultiplyAdd(wv, Load(ref a, j), vsA);
                    Store(ref dA, j, Vector.FusedMultiplyAdd(wv, vdt, Load(ref dA, j)));
                    Store(ref gh, j, gn * ej);
                }
                Store(ref sB, (nint)t * w, vsB);
                Store(ref sA, (nint)t * w, vsA);
            }
            RowGradients(s, o, x, row, g, part, wk, 0);
            if (g.H0 is not null) ghs[..N].CopyTo(g.H0.AsSpan(row * N, N));
        }

        /// <summary>Row <paramref name="row"/>'s per-token inputs into slot <paramref name="r"/> of the worker: dt and
        /// the raw dt; gy = dy·silu(z) = dy·s·z (or dy), known before the recompute so the recompute can accumulate
        /// dC; and with z, tmp = s = sigmoid(z) and dz = dy·s (finished by <see cref="RowOutput"/>).</summary>
        private static void RowPrologue(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<float> x,
            int row, float[]? dy, SelectiveScanGrads<float> g, Worker wk, int r)
        {
            int L = s.Length, seq = row * L;
            Span<float> gyv = wk.Gy.AsSpan(r * L, L);
            ComputeDt(s, o, x, row % s.Dim, seq, wk.Dt.AsSpan(r * L, L), wk.Raw.AsSpan(r * L, L));
            if (dy is null) gyv.Clear();
            else dy.AsSpan(seq, L).CopyTo(gyv);
            if (x.Z is not null) GatePrologue(x.Z.AsSpan(seq, L), gyv, wk.Tmp.AsSpan(r * L, L), g.Z!.AsSpan(seq, L));
        }

        /// <summary>After the recompute: the pre-gate output yPre = Σ_n h·C (+ D·u) from slot <paramref name="r"/>'s
        /// per-token partial sums, and dz = dy·s·yPre·(1 + z·(1 − s)).</summary>
        private static void RowOutput(in SelectiveScanShape s, SelectiveScanInputs<float> x, int row,
            SelectiveScanGrads<float> g, Worker wk, int r)
        {
            int L = s.Length, seq = row * L, w = Vector<float>.Count;
            Span<float> yPre = wk.YPre.AsSpan(r * L, L);
            RowSums(wk.SB.AsSpan(r * L * w, L * w), yPre);
            if (x.D is not null) TensorPrimitives.MultiplyAdd(x.U.AsSpan(seq, L), x.D[row % s.Dim], yPre, yPre);
            if (x.Z is not null) GateEpilogue(x.Z.AsSpan(seq, L), wk.Tmp.AsSpan(r * L, L), yPre, g.Z!.AsSpan(seq, L));
        }

        /// <summary>After the reverse recurrence: du = gy·D + dt·ΣgB and ddelta = (ΣgeAh + u·ΣgB)·softplus'(raw)
        /// from slot <paramref name="r"/>'s partial sums, and the row's dD and d delta_bias partials.</summary>
        private static void RowGradients(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, int row, SelectiveScanGrads<float> g, Partials part, Worker wk, int r)
        {
            int L = s.Length, seq = row * L, w = Vector<float>.Count;
            Span<float> sumB = wk.YPre.AsSpan(r * L, L), sumA = wk.Tmp.AsSpan(r * L, L);
            RowSums(wk.SB.AsSpan(r * L * w, L * w), sumB);
            RowSums(wk.SA.AsSpan(r * L * w, L * w), sumA);
            (part.D[row], part.Bias[row]) = RowEpilogue(wk.Dt.AsSpan(r * L, L), wk.Raw.AsSpan(r * L, L),
                x.U.AsSpan(seq, L), wk.Gy.AsSpan(r * L, L), sumB, sumA, x.D is null ? 0f : x.D[row % s.Dim],
                x.D is not null, o.DeltaSoftplus, g.U.AsSpan(seq, L), g.Delta.AsSpan(seq, L));
        }

        /// <summary>s = sigmoid(z) into <paramref name="sig"/>, dz = dy·s, gy = dy·s·z (gy holds dy on entry):
        /// one pass instead of one per operation.</summary>
        private static void GatePrologue(ReadOnlySpan<float> z, Span<float> gy, Span<float> sig, Span<float> dz)
        {
            int w = Vector<float>.Count, i = 0, L = z.Length;
            var nl2e = new Vector<float>(-KernelMath.Log2E);
            for (; i + w <= L; i += w)
            {
                var zv = new Vector<float>(z[i..]);
                Vector<float> sv = Vector<float>.One / (Vector<float>.One + KernelMath.Exp2(zv * nl2e));
                Vector<float> ds = new Vector<float>(gy[i..]) * sv;
                sv.CopyTo(sig[i..]);
                ds.CopyTo(dz[i..]);
                (ds * zv).CopyTo(gy[i..]);
            }
            for (; i < L; i++)
            {
                float sv = KernelMath.Sigmoid(z[i]);
                sig[i] = sv;
                dz[i] = gy[i] * sv;
                gy[i] = dz[i] * z[i];
            }
        }

        /// <summary>dz ← dz·yPre·(1 + z·(1 − s)) (dz = dy·s on entry).</summary>
        private static void GateEpilogue(ReadOnlySpan<float> z, ReadOnlySpan<float> sig, ReadOnlySpan<float> yPre,
            Span<float> dz)
        {
            int w = Vector<float>.Count, i = 0, L = z.Length;
            for (; i + w <= L; i += w)
            {
                var zv = new Vector<float>(z[i..]);
                Vector<float> f = Vector.FusedMultiplyAdd(zv, Vector<float>.One - new Vector<float>(sig[i..]),
                    Vector<float>.One);
                (new Vector<float>(dz[i..]) * new Vector<float>(yPre[i..]) * f).CopyTo(dz[i..]);
            }
            for (; i < L; i++) dz[i] = dz[i] * yPre[i] * (1f + z[i] * (1f - sig[i]));
        }

        /// <summary>du = dt·ΣgB (+ gy·D);  ddelta = (ΣgeAh + u·ΣgB)·softplus'(raw) in one pass, returning the
        /// row's dD = Σ gy·u and d delta_bias = Σ ddelta. softplus'(raw) = sigmoid(raw) = exp(raw − softplus(raw))
        /// from the dt already computed (exactly 1 above the softplus threshold, where dt = raw).</summary>
        private static (float DD, float DBias) RowEpilogue(ReadOnlySpan<float> dts, ReadOnlySpan<float> raw,
            ReadOnlySpan<float> u, ReadOnlySpan<float> gy, ReadOnlySpan<float> sumB, ReadOnlySpan<float> sumA,
            float dskip, bool hasD, bool softplus, Span<float> du, Span<float> ddelta)
        {
            int w = Vector<float>.Count, i = 0, L = dts.Length;
            Vector<float> vd = new(dskip), l2e = new(KernelMath.Log2E), accD = Vector<float>.Zero;
            Vector<float> accB = Vector<float>.Zero;
            for (; i + w <= L; i += w)
            {
                Vector<float> dt = new(dts[i..]), sb = new(sumB[i..]), uv = new(u[i..]), g = new(gy[i..]);
                Vector<float> duv = dt * sb;
                if (hasD) duv = Vector.FusedMultiplyAdd(g, vd, duv);
                duv.CopyTo(du[i..]);
                Vector<float> dd = Vector.FusedMultiplyAdd(uv, sb, new Vector<float>(sumA[i..]));
                if (softplus) dd *= KernelMath.Exp2((new Vector<float>(raw[i..]) - dt) * l2e);
                dd.CopyTo(ddelta[i..]);
                accD = Vector.FusedMultiplyAdd(g, uv, accD);
                accB += dd;
            }
            float sD = Vector.Sum(accD), sBias = Vector.Sum(accB);
            for (; i < L; i++)
            {
                du[i] = dts[i] * sumB[i] + (hasD ? gy[i] * dskip : 0f);
                float dd = u[i] * sumB[i] + sumA[i];
                if (softplus) dd *= MathF.Exp(raw[i] - dts[i]);
                ddelta[i] = dd;
                sD += gy[i] * u[i];
                sBias += dd;
            }
            return (sD, sBias);
        }

        /// <summary>The forward recompute for Np = 2 vector widths (N = 16 on AVX): A and the state stay in
        /// registers; the states and decays are stored for the reverse pass, and dC += gy·h is accumulated
        /// here while h is in registers.</summary>
        private static void RecomputePair(int L, bool rev, ref float a, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dcRef, ReadOnlySpan<float> dts, ReadOnlySpan<float> u, ReadOnlySpan<float> gyv,
            ref float h, ref float e, ref float sB)
        {
            int w = Vector<float>.Count;
            Vector<float> a0 = Load(ref a, 0) * KernelMath.Log2E, a1 = Load(ref a, w) * KernelMath.Log2E;
            Vector<float> h0 = Load(ref h, 0), h1 = Load(ref h, w);
            for (int step = 0; step < L; step++)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t], dtu = dt * u[t];
                nint bo = t * bStride, co = t * cStride, hs0 = (nint)step * 2 * w;
                Vector<float> e0 = KernelMath.Exp2(a0 * dt), e1 = KernelMath.Exp2(a1 * dt);
                Store(ref e, hs0, e0);
                Store(ref e, hs0 + w, e1);
                h0 = Vector.FusedMultiplyAdd(e0, h0, Load(ref bRef, bo) * dtu);
                h1 = Vector.FusedMultiplyAdd(e1, h1, Load(ref bRef, bo + w) * dtu);
                Store(ref h, hs0 + 2 * w, h0);
                Store(ref h, hs0 + 3 * w, h1);
                Store(ref sB, (nint)t * w,
                    Vector.FusedMultiplyAdd(h1, Load(ref cRef, co + w), h0 * Load(ref cRef, co)));
                Vector<float> gy = new(gyv[t]);
                Store(ref dcRef, co, Vector.FusedMultiplyAdd(gy, h0, Load(ref dcRef, co)));
                Store(ref dcRef, co + w, Vector.FusedMultiplyAdd(gy, h1, Load(ref dcRef, co + w)));
            }
        }

        /// <summary>The reverse-time recurrence for Np = 2 vector widths: A, the state cotangent gh and the
        /// row's dA stay in registers (the general loop round-trips them through memory every token); dC was
        /// accumulated by <see cref="RecomputePair"/>.</summary>
        private static void ReversePair(int L, bool rev, ref float a, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dbRef, ReadOnlySpan<float> dts, ReadOnlySpan<float> u,
            ReadOnlySpan<float> gyv, ref float h, ref float e, ref float sB, ref float sA, ref float gh, ref float dA)
        {
            int w = Vector<float>.Count;
            Vector<float> a0 = Load(ref a, 0), a1 = Load(ref a, w), g0 = Load(ref gh, 0), g1 = Load(ref gh, w);
            Vector<float> dA0 = Load(ref dA, 0), dA1 = Load(ref dA, w);
            for (int step = L - 1; step >= 0; step--)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t], gy = gyv[t], du = dt * u[t];
                nint bo = t * bStride, co = t * cStride, hs0 = (nint)step * 2 * w;
                Vector<float> n0 = Vector.FusedMultiplyAdd(new Vector<float>(gy), Load(ref cRef, co), g0);
                Vector<float> n1 = Vector.FusedMultiplyAdd(new Vector<float>(gy), Load(ref cRef, co + w), g1);
                Store(ref dbRef, bo, Vector.FusedMultiplyAdd(n0, new Vector<float>(du), Load(ref dbRef, bo)));
                Store(ref dbRef, bo + w, Vector.FusedMultiplyAdd(n1, new Vector<float>(du), Load(ref dbRef, bo + w)));
                Store(ref sB, (nint)t * w,
                    Vector.FusedMultiplyAdd(n1, Load(ref bRef, bo + w), n0 * Load(ref bRef, bo)));
                g0 = n0 * Load(ref e, hs0);
                g1 = n1 * Load(ref e, hs0 + w);
                Vector<float> w0 = g0 * Load(ref h, hs0), w1 = g1 * Load(ref h, hs0 + w);
                Store(ref sA, (nint)t * w, Vector.FusedMultiplyAdd(w1, a1, w0 * a0));
                dA0 = Vector.FusedMultiplyAdd(w0, new Vector<float>(dt), dA0);
                dA1 = Vector.FusedMultiplyAdd(w1, new Vector<float>(dt), dA1);
            }
            Store(ref gh, 0, g0);
            Store(ref gh, w, g1);
            Store(ref dA, 0, dA0);
            Store(ref dA, w, dA1);
        }

        /// <summary>sums[t] = Σ of the w lanes of vector t in <paramref name="v"/> ((L, w) row-major); on 8-lane
        /// AVX eight vectors at a time through one horizontal-add tree.</summary>
        internal static void RowSums(ReadOnlySpan<float> v, Span<float> sums)
        {
            int L = sums.Length, w = Vector<float>.Count, t = 0;
            ref float r = ref MemoryMarshal.GetReference(v);
            if (Avx.IsSupported && w == 8)
            {
                for (; t + 8 <= L; t += 8)
                {
                    ref float q = ref Unsafe.Add(ref r, t * 8);
                    Vector256<float> q0 = Avx.HorizontalAdd(
                        Avx.HorizontalAdd(V(ref q, 0), V(ref q, 8)), Avx.HorizontalAdd(V(ref q, 16), V(ref q, 24)));
                    Vector256<float> q1 = Avx.HorizontalAdd(
                        Avx.HorizontalAdd(V(ref q, 32), V(ref q, 40)), Avx.HorizontalAdd(V(ref q, 48), V(ref q, 56)));
                    (Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31)).StoreUnsafe(ref sums[t]);
                }
            }
            for (; t < L; t++) sums[t] = Vector.Sum(Load(ref r, (nint)t * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> V(ref float r, int offset) => Vector256.LoadUnsafe(ref r, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(ref float r, nint offset, Vector<float> v) =>
            Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref r, offset)), v);
    }
}
