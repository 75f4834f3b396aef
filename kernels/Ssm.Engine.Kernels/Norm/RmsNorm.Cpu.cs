// Fast CPU path of RmsNorm: rows in parallel, each row a few TensorPrimitives passes over contiguous channels
// (L1-resident scratch). Weight/bias gradients are summed per chunk of rows and reduced in chunk order, so the
// result does not depend on scheduling. Must match RmsNorm.Reference to float rounding.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Kernels.Norm;

public static partial class RmsNorm
{
    /// <summary>SIMD, multi-threaded path; same contracts as <see cref="Reference"/>.</summary>
    public static unsafe class Cpu
    {
        /// <summary>y and (if wanted) residual_out = x + residual. Shapes in <see cref="RmsNorm"/>.</summary>
        public static void Forward(in RmsNormShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> residual,
            ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
            Span<float> residualOut, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, y.Length, residualOut.Length);
            int C = s.Channels, G = s.Group;
            double eps = o.Eps;
            bool gateBefore = !z.IsEmpty && !o.NormBeforeGate, gateAfter = !z.IsEmpty && o.NormBeforeGate;
            fixed (float* px = x, pr = residual, pz = z, pw = weight, pb = bias, py = y, pro = residualOut)
            {
                nint ax = (nint)px, ar = (nint)pr, az = (nint)pz, aw = (nint)pw, ab = (nint)pb, ay = (nint)py;
                nint aro = (nint)pro;
                RowParallel.For(s.Rows, (long)s.Rows * C, o.Threads, (r0, r1) =>
                {
                    float[] sb = new float[C], sig = new float[C], gz = new float[C], vb = new float[C];
                    var w = new ReadOnlySpan<float>((float*)aw, C);
                    var b = ab == 0 ? default : new ReadOnlySpan<float>((float*)ab, C);
                    for (int r = r0; r < r1; r++)
                    {
                        long off = (long)r * C;
                        ReadOnlySpan<float> sv = Row(ax, off, C);
                        if (ar != 0)
                        {
                            TensorPrimitives.Add(sv, Row(ar, off, C), sb);
                            sv = sb;
                            if (aro != 0) sb.CopyTo(RowW(aro, off, C));
                        }
                        ReadOnlySpan<float> v = sv;
                        if (gateBefore)
                        {
                            Silu(Row(az, off, C), sig, gz);
                            TensorPrimitives.Multiply(sv, gz, vb);
                            v = vb;
                        }
                        NormGroups(v, w, b, gateAfter ? Row(az, off, C) : default, RowW(ay, off, C), G, eps);
                    }
                });
            }
        }

        /// <summary>Gradients of S = Σ dy·y + Σ dResidualOut·residual_out (overwritten). dResidualOut may be empty
        /// (no cotangent); dResidual, dz, dBias may be empty (not wanted). dResidual equals dx.</summary>
        public static void Backward(in RmsNormShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> residual,
            ReadOnlySpan<float> z, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> dy,
            ReadOnlySpan<float> dResidualOut, Span<float> dx, Span<float> dResidual, Span<float> dz,
            Span<float> dWeight, Span<float> dBias, RmsNormOptions o)
        {
            Validate(s, x.Length, residual.Length, z.Length, weight.Length, bias.Length, dy.Length,
                dResidualOut.Length);
            Validate(s, dx.Length, dResidual.Length, dz.Length, dWeight.Length, dBias.Length, dy.Length, 0);
            int C = s.Channels, G = s.Group;
            double eps = o.Eps;
            bool gateBefore = !z.IsEmpty && !o.NormBeforeGate, gateAfter = !z.IsEmpty && o.NormBeforeGate;
            int chunks = RowParallel.ChunkCount(s.Rows, (long)s.Rows * C, o.Threads);
            var dwp = new float[Math.Max(chunks, 1), C];
            var dbp = new float[Math.Max(chunks, 1), C];
            fixed (float* px = x, pr = residual, pz = z, pw = weight, pb = bias, pdy = dy, pdro = dResidualOut)
            fixed (float* pdx = dx, pdr = dResidual, pdz = dz)
            {
                nint ax = (nint)px, ar = (nint)pr, az = (nint)pz, aw = (nint)pw, ab = (nint)pb, ady = (nint)pdy;
                nint adro = (nint)pdro, adx = (nint)pdx, adr = (nint)pdr, adz = (nint)pdz;
                RowParallel.ForChunks(s.Rows, (long)s.Rows * C, o.Threads, (chunk, r0, r1) =>
                {
                    float[] sb = new float[C], sig = new float[C], gz = new float[C], sg = new float[C];
                    float[] vb = new float[C], n = new float[C], dob = new float[C], dn = new float[C];
                    var rs = new float[C / G];
                    var w = new ReadOnlySpan<float>((float*)aw, C);
                    var b = ab == 0 ? default : new ReadOnlySpan<float>((float*)ab, C);
                    fixed (float* pdw = &dwp[chunk, 0], pdb = &dbp[chunk, 0])
                    {
                        var dwc = new Span<float>(pdw, C);
                        var dbc = new Span<float>(pdb, C);
                        for (int r = r0; r < r1; r++)
                        {
                            long off = (long)r * C;
                            ReadOnlySpan<float> sv = Row(ax, off, C), dyr = Row(ady, off, C);
                            if (ar == 0 && adro == 0 && !gateBefore)
                            {
                                var dxf = RowW(adx, off, C);
                                BackwardGroups(sv, az == 0 ? default : Row(az, off, C), dyr, w, b, dxf,
                                    adz == 0 ? default : RowW(adz, off, C), dwc, dbc, n, dn, G, eps);
                                if (adr != 0) dxf.CopyTo(RowW(adr, off, C));
                                continue;
                            }
                            if (ar != 0)
                            {
                                TensorPrimitives.Add(sv, Row(ar, off, C), sb);
                                sv = sb;
                            }
                            if (az != 0) SiluAndGrad(Row(az, off, C), sig, gz, sg);
                            ReadOnlySpan<float> v = sv, dout = dyr;
                            if (gateBefore)
                            {
                                TensorPrimitives.Multiply(sv, gz, vb);
                                v = vb;
                            }
                            for (int g0 = 0, gi = 0; g0 < C; g0 += G, gi++)
                            {
                                rs[gi] = InvRms(v.Slice(g0, G), eps);
                                TensorPrimitives.Multiply(v.Slice(g0, G), rs[gi], n.AsSpan(g0, G));
                            }
                            if (gateAfter)
                            {
                                if (adz != 0)
                                {   // dz = dy · (n·w + b) · silu'(z)
                                    TensorPrimitives.Multiply(n, w, dn);
                                    if (!b.IsEmpty) TensorPrimitives.Add(dn, b, dn);
                                    TensorPrimitives.Multiply(dn, dyr, dn);
                                    TensorPrimitives.Multiply(dn, sg, RowW(adz, off, C));
                                }
                                TensorPrimitives.Multiply(dyr, gz, dob);
                                dout = dob;
                            }
                            TensorPrimitives.MultiplyAdd(dout, n, dwc, dwc);
                            TensorPrimitives.Add(dbc, dout, dbc);
                            TensorPrimitives.Multiply(dout, w, dn);
                            for (int g0 = 0, gi = 0; g0 < C; g0 += G, gi++)
                            {   // dv = r · (dn − n · mean(dn·n))
                                var dng = dn.AsSpan(g0, G);
                                var ng = n.AsSpan(g0, G);
                                float c = TensorPrimitives.Dot(dng, ng) / G;
                                TensorPrimitives.MultiplyAdd(ng, -c, dng, dng);
                                TensorPrimitives.Multiply(dng, rs[gi], dng);
                            }
                            var dxr = RowW(adx, off, C);
                            if (gateBefore)
                            {
                                if (adz != 0)
                                {   // dz = dv · s · silu'(z)
                                    var dzr = RowW(adz, off, C);
                                    TensorPrimitives.Multiply(dn, sv, dzr);
                                    TensorPrimitives.Multiply(dzr, sg, dzr);
                                }
                                TensorPrimitives.Multiply(dn, gz, dxr);
                            }
                            else dn.CopyTo(dxr);
                            if (adro != 0) TensorPrimitives.Add(dxr, Row(adro, off, C), dxr);
                            if (adr != 0) dxr.CopyTo(RowW(adr, off, C));
                        }
                    }
                });
            }
            dWeight.Clear();
            dBias.Clear();
            for (int c = 0; c < chunks; c++)
            {
                for (int i = 0; i < C; i++) dWeight[i] += dwp[c, i];
                if (!dBias.IsEmpty)
                    for (int i = 0; i < C; i++) dBias[i] += dbp[c, i];
            }
        }

        /// <summary>y = (v·r·w + b)·silu(z) per group of <paramref name="G"/> channels (r = 1/rms of the group;
        /// b and z optional): one sum-of-squares pass and one fused output pass per group, instead of a
        /// TensorPrimitives call per operation and group (the calls dominated at G = 192).</summary>
        private static void NormGroups(ReadOnlySpan<float> v, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
            ReadOnlySpan<float> z, Span<float> y, int G, double eps)
        {
            int C = v.Length, V = Vector<float>.Count;
            bool hasB = !b.IsEmpty, hasZ = !z.IsEmpty;
            ref float rv = ref MemoryMarshal.GetReference(v), rw = ref MemoryMarshal.GetReference(w);
            ref float rb = ref MemoryMarshal.GetReference(b), rz = ref MemoryMarshal.GetReference(z);
            ref float ry = ref MemoryMarshal.GetReference(y);
            for (int g0 = 0; g0 < C; g0 += G)
            {
                float r = InvRms(v.Slice(g0, G), eps);
                var vr = new Vector<float>(r);
                int i = g0, end = g0 + G;
                for (; i + V <= end; i += V)
                {
                    nuint k = (nuint)i;
                    var o = Vector.LoadUnsafe(ref rv, k) * vr * Vector.LoadUnsafe(ref rw, k);
                    if (hasB) o += Vector.LoadUnsafe(ref rb, k);
                    if (hasZ)
                    {
                        var zv = Vector.LoadUnsafe(ref rz, k);
                        o *= zv * (Vector<float>.One / (Vector<float>.One + CausalConv1d.ExpVec(-zv)));
                    }
                    o.StoreUnsafe(ref ry, k);
                }
                for (; i < end; i++)
                {
                    float o = v[i] * r * w[i];
                    if (hasB) o += b[i];
                    if (hasZ) o *= z[i] * KernelMath.Sigmoid(z[i]);
                    y[i] = o;
                }
            }
        }

        /// <summary>Backward of one row without residual and without a gate before the norm (the common case), fused
        /// per group into two vector passes: (1) n = v·r, the after-norm gate (dz, dout = dy·silu(z)), dW, dB,
        /// dn = dout·w and Σ dn·n; (2) dx = (dn − n·mean(dn·n))·r. n, dn: row scratch.</summary>
        private static void BackwardGroups(ReadOnlySpan<float> v, ReadOnlySpan<float> z, ReadOnlySpan<float> dy,
            ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> dx, Span<float> dz, Span<float> dw,
            Span<float> db, Span<float> n, Span<float> dn, int G, double eps)
        {
            int C = v.Length, V = Vector<float>.Count;
            bool hasB = !b.IsEmpty, hasZ = !z.IsEmpty, wantDz = !dz.IsEmpty;
            ref float rv = ref MemoryMarshal.GetReference(v), rz = ref MemoryMarshal.GetReference(z);
            ref float rdy = ref MemoryMarshal.GetReference(dy), rw = ref MemoryMarshal.GetReference(w);
            ref float rb = ref MemoryMarshal.GetReference(b), rdx = ref MemoryMarshal.GetReference(dx);
            ref float rdz = ref MemoryMarshal.GetReference(dz), rdw = ref MemoryMarshal.GetReference(dw);
            ref float rdb = ref MemoryMarshal.GetReference(db), rn = ref MemoryMarshal.GetReference(n);
            ref float rdn = ref MemoryMarshal.GetReference(dn);
            var one = Vector<float>.One;
            for (int g0 = 0; g0 < C; g0 += G)
            {
                float r = InvRms(v.Slice(g0, G), eps), dot = 0f;
                var vr = new Vector<float>(r);
                var acc = Vector<float>.Zero;
                int i = g0, end = g0 + G;
                for (; i + V <= end; i += V)
                {
                    nuint k = (nuint)i;
                    var nv = Vector.LoadUnsafe(ref rv, k) * vr;
                    var wv = Vector.LoadUnsafe(ref rw, k);
                    var dout = Vector.LoadUnsafe(ref rdy, k);
                    if (hasZ)
                    {
                        var zv = Vector.LoadUnsafe(ref rz, k);
                        var sg = one / (one + CausalConv1d.ExpVec(-zv));
                        var silu = zv * sg;
                        if (wantDz)
                        {
                            var o = nv * wv;
                            if (hasB) o += Vector.LoadUnsafe(ref rb, k);
                            (o * dout * Vector.FusedMultiplyAdd(silu, one - sg, sg)).StoreUnsafe(ref rdz, k);
                        }
                        dout *= silu;
                    }
                    Vector.FusedMultiplyAdd(dout, nv, Vector.LoadUnsafe(ref rdw, k)).StoreUnsafe(ref rdw, k);
                    (Vector.LoadUnsafe(ref rdb, k) + dout).StoreUnsafe(ref rdb, k);
                    var dnv = dout * wv;
                    acc = Vector.FusedMultiplyAdd(dnv, nv, acc);
                    nv.StoreUnsafe(ref rn, k);
                    dnv.StoreUnsafe(ref rdn, k);
                }
                for (; i < end; i++)
                {
                    float nv = v[i] * r, dout = dy[i];
                    if (hasZ)
                    {
                        float sg = KernelMath.Sigmoid(z[i]), silu = z[i] * sg;
                        if (wantDz) dz[i] = (nv * w[i] + (hasB ? b[i] : 0f)) * dout * (sg + silu * (1f - sg));
                        dout *= silu;
                    }
                    dw[i] += dout * nv;
                    db[i] += dout;
                    n[i] = nv;
                    dn[i] = dout * w[i];
                    dot += dn[i] * nv;
                }
                float c = (Vector.Sum(acc) + dot) / G;
                var vc = new Vector<float>(-c);
                for (i = g0; i + V <= end; i += V)
                {
                    nuint k = (nuint)i;
                    (Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref rn, k), vc, Vector.LoadUnsafe(ref rdn, k)) * vr)
                        .StoreUnsafe(ref rdx, k);
                }
                for (; i < end; i++) dx[i] = (dn[i] - n[i] * c) * r;
            }
        }

        private static ReadOnlySpan<float> Row(nint p, long off, int n) => new((float*)p + off, n);

        private static Span<float> RowW(nint p, long off, int n) => new((float*)p + off, n);

        private static float InvRms(ReadOnlySpan<float> v, double eps) =>
            Common.KernelMath.InvRms(TensorPrimitives.SumOfSquares(v), v.Length, eps);

        /// <summary>sig = sigmoid(z), silu = z·sig (lane-wise, the conv kernels' vector exp; scalar tail).</summary>
        private static void Silu(ReadOnlySpan<float> z, Span<float> sig, Span<float> silu)
        {
            int V = Vector<float>.Count, i = 0;
            for (; i + V <= z.Length; i += V)
            {
                var zv = new Vector<float>(z.Slice(i));
                var sv = Vector<float>.One / (Vector<float>.One + CausalConv1d.ExpVec(-zv));
                sv.CopyTo(sig.Slice(i));
                (zv * sv).CopyTo(silu.Slice(i));
            }
            for (; i < z.Length; i++)
            {
                sig[i] = KernelMath.Sigmoid(z[i]);
                silu[i] = z[i] * sig[i];
            }
        }

        /// <summary>silu(z) and silu'(z) = σ + silu·(1 − σ).</summary>
        private static void SiluAndGrad(ReadOnlySpan<float> z, Span<float> sig, Span<float> silu, Span<float> grad)
        {
            Silu(z, sig, silu);
            TensorPrimitives.Subtract(1f, sig, grad);
            TensorPrimitives.MultiplyAdd(silu, grad, sig, grad);
        }
    }
}
