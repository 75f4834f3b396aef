// Fast CPU SSD: public entry points, dt discretisation, work split and shared per-thread scratch.
// Both forms reduce to the core recurrence h_t = exp(dA_t)·h_{t-1} + (s_t·x_t) ⊗ B_t of Ssd.Reference.
// Lane layout (all Cpu kernels): the per-head state is held transposed, S[n, p] with p contiguous and
// padded to Pp = a multiple of 2·Vector<float>.Count, so the P axis is the SIMD axis: the state update and
// y = Σ_n S[n, :]·C[n] need no horizontal sums; B[n], C[n] are broadcast scalars.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    /// <summary>SIMD, multi-threaded CPU implementation; same contract as <see cref="Reference"/>.</summary>
    public static partial class Cpu
    {
        /// <summary>The algorithm <see cref="SsdAlgorithm.Auto"/> resolves to on a CPU: the recurrence, for every
        /// shape. In its rescaled form it costs 2 FMA per state element and token (2·N·P per token and head), while
        /// the chunked form costs the same 2·N·P (state passing + inter-chunk output) plus Q·(N + P)/2 for the
        /// intra-chunk products, so it can only be slower on FMA-bound hardware. Measured at the M2 shape (H 24,
        /// P 64, N 128, L 2048, one thread): recurrence ≈ 37 ms, chunked Q 64 ≈ 69 ms, Q 256 ≈ 150 ms.</summary>
        public static SsdAlgorithm Resolve(SsdShape s, SsdOptions o) =>
            o.Algorithm == SsdAlgorithm.Auto ? SsdAlgorithm.Recurrent : o.Algorithm;

        /// <summary>Forward of the full op. y: (B, L, H, P); finalStates: (B, H, P, N) or null.</summary>
        public static void Forward(SsdShape s, SsdOptions o, SsdInputs<float> x, float[] y, float[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            var (dA, dtv, pass) = Discretise(s, o, x);
            try
            {
                var core = new Core(s, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, y, finalStates);
                RunForward(core, Resolve(s, o), o.ChunkSize, o.Threads);
            }
            finally
            {
                Return(dA, dtv, pass);
            }
        }

        /// <summary>Forward of the pre-discretised form; <paramref name="o"/> supplies algorithm, chunk size and
        /// threads (its dt fields are unused).</summary>
        public static void ForwardDiscrete(SsdShape s, SsdOptions o, SsdDiscreteInputs<float> x, float[] y,
            float[]? finalStates)
        {
            Validate(s, x, y.Length, finalStates?.Length);
            var core = new Core(s, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, y, finalStates);
            RunForward(core, Resolve(s, o), o.ChunkSize, o.Threads);
        }

        /// <summary>Backward of the full op into <paramref name="g"/> (overwritten). Both algorithms share the
        /// two-sweep recurrent backward (see Ssd.Cpu.Backward.cs); the result does not depend on the
        /// algorithm.</summary>
        public static void Backward(SsdShape s, SsdOptions o, SsdInputs<float> x, float[] dy, float[]? dFinal,
            SsdGradients<float> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            var (dA, dtv, pass) = Discretise(s, o, x);
            var core = new Core(s, dA, dtv, x.X, x.B, x.C, x.D, x.Z, x.InitialStates, dy, dFinal);
            float[] ddA = Pool.Rent(s.DtLength), ddtv = Pool.Rent(s.DtLength);
            try
            {
                RunBackward(core, o.Threads, g.X, ddtv, ddA, g.B, g.C, g.D, g.Z, g.InitialStates);
                ReduceDt(s, x, g, ddA, ddtv, dtv, pass);
            }
            finally
            {
                Return(dA, dtv, pass);
                Return(ddA, ddtv);
            }
        }

        // dt, dt_bias and A gradients from the per-token dA and dt-scale gradients (float64 sums per head).
        private static void ReduceDt(SsdShape s, SsdInputs<float> x, SsdGradients<float> g, float[] ddA, float[] ddtv,
            float[] dtv, float[] pass)
        {
            Array.Clear(g.A);
            if (g.DtBias is not null) Array.Clear(g.DtBias);
            var dAd = new double[s.H];
            var dBias = new double[s.H];
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                float ddt = ddtv[i] + ddA[i] * x.A[h];
                dAd[h] += (double)ddA[i] * dtv![i];
                float raw = ddt * pass[i];
                g.Dt[i] = raw;
                dBias[h] += raw;
            }
            for (int h = 0; h < s.H; h++)
            {
                g.A[h] = (float)dAd[h];
                if (g.DtBias is not null) g.DtBias[h] = (float)dBias[h];
            }
        }

        /// <summary>Backward of the pre-discretised form into <paramref name="g"/> (overwritten).</summary>
        public static void BackwardDiscrete(SsdShape s, SsdOptions o, SsdDiscreteInputs<float> x, float[] dy,
            float[]? dFinal, SsdDiscreteGradients<float> g)
        {
            Validate(s, x, dy.Length, dFinal?.Length);
            var core = new Core(s, x.A, null, x.X, x.B, x.C, null, null, x.InitialStates, dy, dFinal);
            RunBackward(core, o.Threads, g.X, null, g.A, g.B, g.C, null, null, g.InitialStates);
        }

        // (B, L, H)-sized per-call arrays come from the shared pool (rented arrays may be longer; only the first
        // B·L·H values are used), so repeated calls do not allocate on the large-object heap.
        private static System.Buffers.ArrayPool<float> Pool => System.Buffers.ArrayPool<float>.Shared;

        private static void Return(float[] a, float[] b, float[]? c = null)
        {
            Pool.Return(a);
            Pool.Return(b);
            if (c is not null) Pool.Return(c);
        }

        private static (float[] dA, float[] dtv, float[] pass) Discretise(SsdShape s, SsdOptions o, SsdInputs<float> x)
        {
            float[] dA = Pool.Rent(s.DtLength), dtv = Pool.Rent(s.DtLength), pass = Pool.Rent(s.DtLength);
            for (int i = 0; i < s.DtLength; i++)
            {
                int h = i % s.H;
                dtv[i] = ProcessDt(x.Dt[i], x.DtBias?[h] ?? 0f, o, out pass[i]);
                dA[i] = dtv[i] * x.A[h];
            }
            return (dA, dtv, pass);
        }

        /// <summary>Arrays of one core call. <c>Y</c>/<c>Final</c> are outputs in the forward and the cotangents
        /// dy / dFinal in the backward. dA, Scale: (B, L, H); X, Z, Y: (B, L, H, P); Bm, Cm: (B, L, G, N).</summary>
        private sealed record Core(SsdShape S, float[] DA, float[]? Scale, float[] X, float[] Bm, float[] Cm,
            float[]? D, float[]? Z, float[]? H0, float[] Y, float[]? Final)
        {
            public int Pp { get; } = PadP(S.P);
        }

        private static int Lanes => Vector<float>.Count;

        private static int PadP(int p) => (p + 2 * Lanes - 1) / (2 * Lanes) * (2 * Lanes);

        private static ParallelOptions Parallelism(int threads) =>
            new() { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };

        private static int Workers(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

        // Token-block length of the recurrent kernels: keeps a block's B/C rows and u/y rows in L1.
        private const int TokenBlock = 32;

        /// <summary>Per-thread scratch: transposed state S (N × Pp) and token-block rows (rows × Pp).</summary>
        private sealed class Scratch
        {
            // 64-byte aligned: the sweeps load and store whole 512-bit rows of S, U and Y.
            public readonly AlignedFloats State, U, Y, Decay, Gate, Sig, Lam;
            public readonly int Pp, Rows;
            // Chunked form only: M (Q × Q) intra-chunk weights, Cs (Q) log-decay cumsum, Uw (Q × Pp) weighted u.
            public float[]? M, Cs, Uw;

            public Scratch(int n, int pp, int rows)
            {
                Pp = pp;
                Rows = rows;
                State = new AlignedFloats(n * pp);
                U = new AlignedFloats(rows * pp);
                Y = new AlignedFloats(rows * pp);
                Gate = new AlignedFloats(rows * pp);
                Sig = new AlignedFloats(rows * pp);
                Decay = new AlignedFloats(rows);
                Lam = new AlignedFloats(rows);
            }
        }

        private static void RunForward(Core c, SsdAlgorithm alg, int chunk, int threads)
        {
            var s = c.S;
            if (alg == SsdAlgorithm.Chunked && chunk < 1)
                throw new ArgumentException($"[ssd] chunk_size must be positive, got {chunk}");
            // The P split follows the widest register tile so a head's rows sum in the same order for any split.
            int unit = WideTiles(c) ? WideP : 2 * Lanes, tiles = c.Pp / unit;
            int bh = s.B * s.H, workers = Workers(threads);
            // Split the P axis too when there are too few heads to keep every worker busy (rows are independent).
            int split = bh >= 2 * workers ? 1 : Math.Min(tiles, (2 * workers + bh - 1) / bh);
            int perSplit = (tiles + split - 1) / split;
            int rows = alg == SsdAlgorithm.Chunked ? Math.Min(chunk, s.L) : TokenBlock;
            Parallel.For(0, bh * split, Parallelism(threads), () => new Scratch(s.N, c.Pp, rows), (item, _, w) =>
            {
                int b = item / split / s.H, h = item / split % s.H, part = item % split;
                int p0 = part * perSplit * unit, p1 = Math.Min(c.Pp, p0 + perSplit * unit);
                if (p0 >= p1) return w;
                LoadState(c, b, h, p0, p1, w);
                if (alg == SsdAlgorithm.Chunked) ChunkedItem(c, b, h, p0, p1, w, rows);
                else RecurrentItem(c, b, h, p0, p1, w);
                if (c.Final is not null) StoreState(c, b, h, p0, p1, w.State.Span, c.Final);
                return w;
            }, _ => { });
        }

        private static void LoadState(Core c, int b, int h, int p0, int p1, Scratch w)
        {
            var s = c.S;
            int pp = c.Pp;
            for (int n = 0; n < s.N; n++)
                w.State.AsSpan(n * pp + p0, p1 - p0).Clear();
            if (c.H0 is null) return;
            int off = (b * s.H + h) * s.P * s.N;
            for (int p = p0; p < Math.Min(p1, s.P); p++)
            for (int n = 0; n < s.N; n++)
                w.State[n * pp + p] = c.H0[off + p * s.N + n];
        }

        private static void StoreState(Core c, int b, int h, int p0, int p1, ReadOnlySpan<float> state, float[] dst)
        {
            var s = c.S;
            int off = (b * s.H + h) * s.P * s.N;
            for (int p = p0; p < Math.Min(p1, s.P); p++)
            for (int n = 0; n < s.N; n++)
                dst[off + p * s.N + n] = state[n * c.Pp + p];
        }

        /// <summary>Fills rows 0..tb of the token block at t0: Decay = exp(dA), U = s·x (times inv[i] when given;
        /// zero-padded), Y = 0 (when <paramref name="clearY"/>), Sig = sigmoid(z) and Gate = silu(z) when z is
        /// present.</summary>
        private static void PrepareTokens(Core c, int b, int h, int t0, int tb, int p0, int p1, Scratch w,
            bool decay = true, ReadOnlySpan<float> inv = default, bool clearY = true)
        {
            var s = c.S;
            int pp = c.Pp, pEnd = Math.Min(p1, s.P);
            for (int i = 0; i < tb; i++)
            {
                int it = (b * s.L + t0 + i) * s.H + h;
                if (decay) w.Decay[i] = MathF.Exp(c.DA[it]);
                float sc = (c.Scale?[it] ?? 1f) * (inv.IsEmpty ? 1f : inv[i]);
                ScaleInto(c.X.AsSpan(it * s.P + p0, Math.Max(0, pEnd - p0)), sc, w.U.AsSpan(i * pp + p0, p1 - p0));
                if (clearY) w.Y.AsSpan(i * pp + p0, p1 - p0).Clear();
                if (c.Z is not null && pEnd > p0)
                {
                    var gate = w.Gate.AsSpan(i * pp + p0, pEnd - p0);
                    var sig = w.Sig.AsSpan(i * pp + p0, pEnd - p0);
                    var z = c.Z.AsSpan(it * s.P + p0, pEnd - p0);
                    TensorPrimitives.Sigmoid(z, sig);
                    TensorPrimitives.Multiply(sig, z, gate);
                }
            }
        }

        /// <summary>dst = k·src over src's length and 0 over the rest of dst, in one pass (a library call per token
        /// row of a few dozen values cost more than the arithmetic).</summary>
        private static void ScaleInto(ReadOnlySpan<float> src, float k, Span<float> dst)
        {
            int i = 0, n = src.Length;
            if (dst.Length < n) throw new ArgumentException("[ssd] token row scratch shorter than its source");
            ref float s0 = ref MemoryMarshal.GetReference(src), d0 = ref MemoryMarshal.GetReference(dst);
            if (Vector512.IsHardwareAccelerated)
            {
                var k5 = Vector512.Create(k);
                for (; i + 16 <= n; i += 16) (Vector512.LoadUnsafe(ref s0, (nuint)i) * k5).StoreUnsafe(ref d0, (nuint)i);
            }
            var kv = new Vector<float>(k);
            for (; i + Lanes <= n; i += Lanes) (Vector.LoadUnsafe(ref s0, (nuint)i) * kv).StoreUnsafe(ref d0, (nuint)i);
            for (; i < n; i++) dst[i] = k * src[i];
            dst[n..].Clear();
        }

        /// <summary>y = (λ_i·Y + D·x)·silu(z) for rows 0..tb of the token block at t0 (λ = Lam when
        /// <paramref name="scaled"/>, else 1).</summary>
        private static void WriteOutput(Core c, int b, int h, int t0, int tb, int p0, int p1, Scratch w,
            bool scaled = false)
        {
            var s = c.S;
            int pp = c.Pp, pEnd = Math.Min(p1, s.P);
            if (pEnd <= p0) return;
            for (int i = 0; i < tb; i++)
            {
                int ix = ((b * s.L + t0 + i) * s.H + h) * s.P;
                var yrow = w.Y.AsSpan(i * pp + p0, pEnd - p0);
                if (scaled) TensorPrimitives.Multiply(yrow, w.Lam[i], yrow);
                var dst = c.Y.AsSpan(ix + p0, pEnd - p0);
                var xrow = c.X.AsSpan(ix + p0, pEnd - p0);
                if (c.D is { } d)
                {
                    if (d.Length == s.H) TensorPrimitives.MultiplyAdd(xrow, d[h], yrow, dst);
                    else TensorPrimitives.MultiplyAdd(xrow, d.AsSpan(h * s.P + p0, pEnd - p0), yrow, dst);
                }
                else yrow.CopyTo(dst);
                if (c.Z is not null) TensorPrimitives.Multiply(dst, w.Gate.AsSpan(i * pp + p0, pEnd - p0), dst);
            }
        }

        // y[i, 0..2v) += Σ_k C[k] · state row k for a 4-row register tile (rows k = 0..3, two vectors each).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void AddY4(float* yi, float* ci, Vector<float> s00, Vector<float> s01,
            Vector<float> s10, Vector<float> s11, Vector<float> s20, Vector<float> s21, Vector<float> s30,
            Vector<float> s31)
        {
            int v = Vector<float>.Count;
            var cc = new Vector<float>(ci[0]);
            Vector<float> y0 = Fma(s00, cc, Ld(yi)), y1 = Fma(s01, cc, Ld(yi + v));
            cc = new Vector<float>(ci[1]);
            y0 = Fma(s10, cc, y0);
            y1 = Fma(s11, cc, y1);
            cc = new Vector<float>(ci[2]);
            y0 = Fma(s20, cc, y0);
            y1 = Fma(s21, cc, y1);
            cc = new Vector<float>(ci[3]);
            St(yi, Fma(s30, cc, y0));
            St(yi + v, Fma(s31, cc, y1));
        }

        // Writes a 4-row register tile back to the state, undoing the block's rescaling (× lamEnd).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreRescaled4(float* st, int pp, float lamEnd, Vector<float> s00,
            Vector<float> s01, Vector<float> s10, Vector<float> s11, Vector<float> s20, Vector<float> s21,
            Vector<float> s30, Vector<float> s31)
        {
            int v = Vector<float>.Count;
            var le = new Vector<float>(lamEnd);
            St(st, s00 * le); St(st + v, s01 * le); St(st + pp, s10 * le); St(st + pp + v, s11 * le);
            St(st + 2 * pp, s20 * le); St(st + 2 * pp + v, s21 * le);
            St(st + 3 * pp, s30 * le); St(st + 3 * pp + v, s31 * le);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe Vector<float> Ld(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void St(float* p, Vector<float> v) => Unsafe.WriteUnaligned(p, v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<float> Fma(Vector<float> a, Vector<float> b, Vector<float> c) =>
            Vector.FusedMultiplyAdd(a, b, c);
    }
}
