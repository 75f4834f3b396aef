// u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
// h0, last_state: (B, D, N)
// Rows (b, d) are independent: Parallel.For over chunks of rows; inside a row the N lanes of the
// state are Vector<float> registers (N padded with zero lanes to a multiple of the vector width:
// A = 0, B = C = 0 keep a padded lane at h = 0 and contribute nothing). B and C are repacked once
// per call to (B·G, L, Np) so each token reads contiguous lanes.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    /// <summary>The fast CPU path (Vector&lt;float&gt; over N, Parallel.For over rows); same contract as
    /// <see cref="Reference"/> in float32.</summary>
    public static partial class Cpu
    {
        /// <summary>y = scan(x); writes the final state into <paramref name="lastState"/> when not null.</summary>
        public static void Forward(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<float> x,
            float[] y, float[]? lastState)
        {
            Validate(s, x, y.Length, lastState?.Length ?? -1);
            var plan = new Plan(s, x, naturalA: false);
            SelectiveScanShape sh = s;
            SelectiveScanOptions op = o;
            ForEachRowChunk(s, o, () => new float[sh.Length], (lo, hi, dtBuf) =>
            {
                for (int row = lo; row < hi; row++) RowForward(sh, op, x, plan, row, y, lastState, dtBuf);
            });
        }

        /// <summary>Runs <paramref name="body"/> over chunks [lo, hi) of the B·D rows with a per-worker buffer,
        /// or with a per-chunk buffer merged in chunk order when <paramref name="merge"/> is given.</summary>
        internal static void ForEachRowChunk<TLocal>(in SelectiveScanShape s, in SelectiveScanOptions o,
            Func<TLocal> init, Action<int, int, TLocal> body, Action<TLocal>? merge = null)
        {
            int rows = s.Batch * s.Dim;
            int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
            long work = (long)rows * s.Length * s.State;
            if (threads == 1 || rows == 1 || work < 1 << 15)
            {
                var local = init();
                body(0, rows, local);
                merge?.Invoke(local);
                return;
            }
            // With per-chunk buffers (merge), one chunk per thread: rows cost the same, and fewer buffers to fill.
            int chunks = Math.Min(rows, merge is null ? threads * 8 : threads), per = (rows + chunks - 1) / chunks;
            chunks = (rows + per - 1) / per;
            var po = new ParallelOptions { MaxDegreeOfParallelism = threads };
            if (merge is null)
            {
                Parallel.For(0, chunks, po, init, (c, _, local) =>
                {
                    body(c * per, Math.Min(rows, (c + 1) * per), local);
                    return local;
                }, _ => { });
                return;
            }
            // Partial sums are kept per chunk and merged in chunk order, so the result does not depend on which
            // worker ran which chunk: the same inputs and thread count give the same bits.
            var locals = new TLocal[chunks];
            Parallel.For(0, chunks, po, c =>
            {
                var local = init();
                body(c * per, Math.Min(rows, (c + 1) * per), local);
                locals[c] = local;
            });
            foreach (var local in locals) merge(local);
        }

        private static void RowForward(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<float> x,
            Plan p, int row, float[] y, float[]? lastState, float[] dtBuf)
        {
            int b = row / s.Dim, d = row % s.Dim, L = s.Length, np = p.Np, w = Vector<float>.Count, k = np / w;
            int seq = row * L;
            Span<float> dts = dtBuf.AsSpan(0, L);
            ComputeDt(s, o, x, d, seq, dts, raw: default);
            Span<float> h = stackalloc float[np];
            h.Clear();
            if (x.H0 is not null) x.H0.AsSpan(row * s.State, s.State).CopyTo(h);
            Span<Vector<float>> hv = MemoryMarshal.Cast<float, Vector<float>>(h);
            ref float a2 = ref p.A[d * np];
            ref float bRef = ref p.B[p.BaseB(b, d)];
            ref float cRef = ref p.C[p.BaseC(b, d)];
            nint bStride = s.VariableB ? np : 0, cStride = s.VariableC ? np : 0;
            ref float u = ref x.U[seq];
            ref float ys = ref y[seq];
            ref float dt0 = ref dts[0];
            float dskip = x.D is null ? 0f : x.D[d];
            bool rev = o.Reverse;
            if (np == 16 && Vector512.IsHardwareAccelerated && Avx.IsSupported)
            {
                Scan16Avx512(L, rev, ref a2, ref bRef, bStride, ref cRef, cStride, ref dt0, ref u, ref ys, dskip, h);
            }
            else if (k == 2 && Avx.IsSupported && w == 8)
            {
                Scan16Avx(L, rev, ref a2, ref bRef, bStride, ref cRef, cStride, ref dt0, ref u, ref ys, dskip, hv);
            }
            else if (k == 2)
            {
                Vector<float> av0 = Load(ref a2, 0), av1 = Load(ref a2, w), h0 = hv[0], h1 = hv[1];
                for (int step = 0; step < L; step++)
                {
                    nint t = rev ? L - 1 - step : step;
                    float dt = Unsafe.Add(ref dt0, t), ut = Unsafe.Add(ref u, t), du = dt * ut;
                    nint bo = t * bStride, co = t * cStride;
                    Vector<float> e0 = KernelMath.Exp2(av0 * dt), e1 = KernelMath.Exp2(av1 * dt);
                    h0 = Vector.FusedMultiplyAdd(e0, h0, Load(ref bRef, bo) * du);
                    h1 = Vector.FusedMultiplyAdd(e1, h1, Load(ref bRef, bo + w) * du);
                    Vector<float> acc = Vector.FusedMultiplyAdd(h1, Load(ref cRef, co + w), h0 * Load(ref cRef, co));
                    Unsafe.Add(ref ys, t) = Vector.Sum(acc) + dskip * ut;
                }
                hv[0] = h0;
                hv[1] = h1;
            }
            else
            {
                for (int step = 0; step < L; step++)
                {
                    nint t = rev ? L - 1 - step : step;
                    float dt = Unsafe.Add(ref dt0, t), ut = Unsafe.Add(ref u, t), du = dt * ut;
                    nint bo = t * bStride, co = t * cStride;
                    Vector<float> acc = Vector<float>.Zero;
                    for (int j = 0; j < k; j++)
                    {
                        Vector<float> e = KernelMath.Exp2(Load(ref a2, j * w) * dt);
                        Vector<float> hj = Vector.FusedMultiplyAdd(e, hv[j], Load(ref bRef, bo + j * w) * du);
                        hv[j] = hj;
                        acc = Vector.FusedMultiplyAdd(hj, Load(ref cRef, co + j * w), acc);
                    }
                    Unsafe.Add(ref ys, t) = Vector.Sum(acc) + dskip * ut;
                }
            }
            if (lastState is not null) h[..s.State].CopyTo(lastState.AsSpan(row * s.State, s.State));
            if (x.Z is not null) KernelMath.MultiplySilu(y.AsSpan(seq, L), x.Z.AsSpan(seq, L));
        }

        /// <summary>The N ≤ 16 row loop on 8-lane AVX: as the portable loop, but the 8 per-token dot products
        /// of a block of 8 tokens are reduced together (one transposing horizontal-add tree instead of 8
        /// separate horizontal sums).</summary>
        private static void Scan16Avx(int L, bool rev, ref float a2, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dt0, ref float u, ref float ys, float dskip, Span<Vector<float>> hv)
        {
            const int w = 8;
            Vector<float> av0 = Load(ref a2, 0), av1 = Load(ref a2, w), h0 = hv[0], h1 = hv[1];
            Span<Vector256<float>> acc = stackalloc Vector256<float>[8];
            int step = 0;
            for (; step + 8 <= L; step += 8)
            {
                for (int j = 0; j < 8; j++)
                {
                    nint t = rev ? L - 1 - (step + j) : step + j;
                    float dt = Unsafe.Add(ref dt0, t), du = dt * Unsafe.Add(ref u, t);
                    nint bo = t * bStride, co = t * cStride;
                    Vector<float> e0 = KernelMath.Exp2(av0 * dt), e1 = KernelMath.Exp2(av1 * dt);
                    h0 = Vector.FusedMultiplyAdd(e0, h0, Load(ref bRef, bo) * du);
                    h1 = Vector.FusedMultiplyAdd(e1, h1, Load(ref bRef, bo + w) * du);
                    acc[j] = Vector.FusedMultiplyAdd(h1, Load(ref cRef, co + w), h0 * Load(ref cRef, co)).AsVector256();
                }
                Vector256<float> q0 = Avx.HorizontalAdd(
                    Avx.HorizontalAdd(acc[0], acc[1]), Avx.HorizontalAdd(acc[2], acc[3]));
                Vector256<float> q1 = Avx.HorizontalAdd(
                    Avx.HorizontalAdd(acc[4], acc[5]), Avx.HorizontalAdd(acc[6], acc[7]));
                Vector256<float> sums = Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31);
                // Lane j is token step + j (forward) or L-1-step-j (reverse): stored at [t0, t0 + 8).
                nint t0 = rev ? L - 8 - step : step;
                if (rev) sums = Vector256.Shuffle(sums, Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0));
                Vector256<float> uv = Vector256.LoadUnsafe(ref u, (nuint)t0);
                Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(uv, Vector256.Create(dskip), sums), ref ys, (nuint)t0);
            }
            for (; step < L; step++)
            {
                nint t = rev ? L - 1 - step : step;
                float dt = Unsafe.Add(ref dt0, t), ut = Unsafe.Add(ref u, t), du = dt * ut;
                nint bo = t * bStride, co = t * cStride;
                Vector<float> e0 = KernelMath.Exp2(av0 * dt), e1 = KernelMath.Exp2(av1 * dt);
                h0 = Vector.FusedMultiplyAdd(e0, h0, Load(ref bRef, bo) * du);
                h1 = Vector.FusedMultiplyAdd(e1, h1, Load(ref bRef, bo + w) * du);
                Vector<float> acc1 = Vector.FusedMultiplyAdd(h1, Load(ref cRef, co + w), h0 * Load(ref cRef, co));
                Unsafe.Add(ref ys, t) = Vector.Sum(acc1) + dskip * ut;
            }
            hv[0] = h0;
            hv[1] = h1;
        }

        /// <summary>The N ≤ 16 row loop with the whole state in one 512-bit register (half the instructions of
        /// two 256-bit halves); per block of 8 tokens the dot products are folded to 256 bits and reduced by the
        /// same transposing horizontal-add tree as <see cref="Scan16Avx"/>.</summary>
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Scan16Avx512(int L, bool rev, ref float a2, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dt0, ref float u, ref float ys, float dskip, Span<float> state)
        {
            ref float hRef = ref MemoryMarshal.GetReference(state);
            Vector512<float> av = Vector512.LoadUnsafe(ref a2), h = Vector512.LoadUnsafe(ref hRef);
            Span<Vector256<float>> acc = stackalloc Vector256<float>[8];
            ref Vector256<float> accRef = ref MemoryMarshal.GetReference(acc);
            int step = 0;
            for (; step + 8 <= L; step += 8)
            {
                nint t0 = rev ? L - 8 - step : step;
                for (int j = 0; j < 8; j++)
                {
                    nint t = rev ? t0 + 7 - j : t0 + j;
                    float dt = Unsafe.Add(ref dt0, t), du = dt * Unsafe.Add(ref u, t);
                    Vector512<float> e = KernelMath.Exp2(av * dt);
                    h = Vector512.FusedMultiplyAdd(e, h, Vector512.LoadUnsafe(ref bRef, (nuint)(t * bStride)) * du);
                    Vector512<float> yc = h * Vector512.LoadUnsafe(ref cRef, (nuint)(t * cStride));
                    Unsafe.Add(ref accRef, j) = yc.GetLower() + yc.GetUpper();
                }
                Vector256<float> q0 = Avx.HorizontalAdd(
                    Avx.HorizontalAdd(Unsafe.Add(ref accRef, 0), Unsafe.Add(ref accRef, 1)),
                    Avx.HorizontalAdd(Unsafe.Add(ref accRef, 2), Unsafe.Add(ref accRef, 3)));
                Vector256<float> q1 = Avx.HorizontalAdd(
                    Avx.HorizontalAdd(Unsafe.Add(ref accRef, 4), Unsafe.Add(ref accRef, 5)),
                    Avx.HorizontalAdd(Unsafe.Add(ref accRef, 6), Unsafe.Add(ref accRef, 7)));
                Vector256<float> sums = Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31);
                if (rev) sums = Vector256.Shuffle(sums, Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0));
                Vector256<float> uv = Vector256.LoadUnsafe(ref u, (nuint)t0);
                Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(uv, Vector256.Create(dskip), sums), ref ys, (nuint)t0);
            }
            for (; step < L; step++)
            {
                nint t = rev ? L - 1 - step : step;
                float dt = Unsafe.Add(ref dt0, t), ut = Unsafe.Add(ref u, t);
                Vector512<float> e = KernelMath.Exp2(av * dt);
                h = Vector512.FusedMultiplyAdd(e, h, Vector512.LoadUnsafe(ref bRef, (nuint)(t * bStride)) * (dt * ut));
                Unsafe.Add(ref ys, t) = Vector512.Sum(h * Vector512.LoadUnsafe(ref cRef, (nuint)(t * cStride)))
                                        + dskip * ut;
            }
            h.StoreUnsafe(ref hRef);
        }

        /// <summary>dt = softplus?(delta + delta_bias) for one row; <paramref name="raw"/> (if not empty)
        /// receives the value before softplus.</summary>
        internal static void ComputeDt(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, int d, int seq, Span<float> dt, Span<float> raw)
        {
            ReadOnlySpan<float> delta = x.Delta.AsSpan(seq, s.Length);
            float bias = x.DeltaBias is null ? 0f : x.DeltaBias[d];
            if (!raw.IsEmpty) TensorPrimitives.Add(delta, bias, raw);
            if (o.DeltaSoftplus) KernelMath.Softplus(delta, bias, dt);      // one pass: softplus(delta + bias)
            else TensorPrimitives.Add(delta, bias, dt);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Vector<float> Load(ref float r, nint offset) =>
            Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref r, offset)));

        /// <summary>A (per channel, padded to Np lanes; log2-scaled for the forward exp2 unless natural),
        /// and B, C repacked to (B·G, L, Np) when variable or (D, Np) when time-invariant.</summary>
        internal sealed class Plan
        {
            public readonly int Np;
            // 64-byte aligned: the rows load one 512-bit vector of A, B and C per token.
            public readonly AlignedFloats A, B, C;
            private readonly SelectiveScanShape _s;

            public Plan(in SelectiveScanShape s, SelectiveScanInputs<float> x, bool naturalA)
            {
                _s = s;
                int w = Vector<float>.Count;
                Np = (s.State + w - 1) / w * w;
                A = new AlignedFloats(s.Dim * Np);
                float scale = naturalA ? 1f : KernelMath.Log2E;
                for (int d = 0; d < s.Dim; d++)
                for (int n = 0; n < s.State; n++)
                    A[d * Np + n] = x.A[d * s.State + n] * scale;
                B = Pack(s, x.B, s.VariableB, Np);
                C = Pack(s, x.C, s.VariableC, Np);
            }

            public int BaseB(int b, int d) => Base(b, d, _s.VariableB);

            public int BaseC(int b, int d) => Base(b, d, _s.VariableC);

            private int Base(int b, int d, bool variable) =>
                variable ? (b * _s.Groups + _s.GroupOf(d)) * _s.Length * Np : d * Np;

            private static AlignedFloats Pack(in SelectiveScanShape s, float[] m, bool variable, int np)
            {
                if (!variable)
                {
                    var r = new AlignedFloats(s.Dim * np);
                    for (int d = 0; d < s.Dim; d++) m.AsSpan(d * s.State, s.State).CopyTo(r.Span[(d * np)..]);
                    return r;
                }
                int bg = s.Batch * s.Groups, n = s.State, l = s.Length;
                var p = new AlignedFloats(bg * l * np);
                Span<float> ps = p.Span;
                for (int i = 0; i < bg; i++)
                for (int j = 0; j < n; j++)
                {
                    ReadOnlySpan<float> src = m.AsSpan((i * n + j) * l, l);
                    int dst = i * l * np + j;
                    for (int t = 0; t < l; t++) ps[dst + t * np] = src[t];
                }
                return p;
            }
        }
    }
}
