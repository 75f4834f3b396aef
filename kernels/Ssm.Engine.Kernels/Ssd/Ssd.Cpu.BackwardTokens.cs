// Per-token steps of the CPU SSD backward (Ssd.Cpu.Backward.cs) around the sweeps: the cotangent rows gy, the
// gates, the skip term and dz, and the du / dx / dt-scale step after the reverse sweep. Each is one vector pass over
// a token's P lanes.
using System.Numerics;
using System.Numerics.Tensors;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        /// <summary>Gy rows = dy·silu(z) (or dy), zero-padded to Pp.</summary>
        private static void Cotangents(Core c, int b, int h, int t0, int tb, BackwardScratch bw, AlignedFloats? lam)
        {
            var s = c.S;
            int pp = c.Pp, P = s.P, v = Lanes;
            for (int i = 0; i < tb; i++)
            {
                int ix = ((b * s.L + t0 + i) * s.H + h) * P;
                var row = bw.Gy.AsSpan(i * pp, pp);
                row[P..].Clear();
                var dy = c.Y.AsSpan(ix, P);
                if (c.Z is null && lam is null)
                {
                    dy.CopyTo(row);
                    continue;
                }
                ReadOnlySpan<float> gate = c.Z is null ? default : bw.W.Gate.AsSpan(i * pp, P);
                float inv = lam is null ? 1f : 1f / lam[i];
                var vi = new Vector<float>(inv);
                int p = 0;
                for (; p + v <= P; p += v)
                {
                    var g = new Vector<float>(dy[p..]);
                    if (c.Z is not null) g *= new Vector<float>(gate[p..]);
                    if (lam is not null) g *= vi;
                    g.CopyTo(row[p..]);
                }
                for (; p < P; p++)
                {
                    float g = c.Z is null ? dy[p] : dy[p] * gate[p];
                    row[p] = lam is null ? g : g * inv;
                }
            }
        }

        /// <summary>du ← Γ·du;  dx = s·du + gD·g (or dx += s·du when <paramref name="accumulate"/>);  returns
        /// Σ du·x (the dt-scale gradient), in one pass.</summary>
        private static float ScaleDu(Span<float> du, float gam, ReadOnlySpan<float> x, float sc, Span<float> dx,
            ReadOnlySpan<float> g, float gD, bool accumulate)
        {
            int v = Lanes, p = 0, P = du.Length;
            Vector<float> vg = new(gam), vs = new(sc), vd = new(gD), acc = Vector<float>.Zero;
            for (; p + v <= P; p += v)
            {
                var d = new Vector<float>(du[p..]) * vg;
                d.CopyTo(du[p..]);
                acc = Vector.FusedMultiplyAdd(d, new Vector<float>(x[p..]), acc);
                var rest = accumulate ? new Vector<float>(dx[p..]) : new Vector<float>(g[p..]) * vd;
                Vector.FusedMultiplyAdd(d, vs, rest).CopyTo(dx[p..]);
            }
            float dot = Vector.Sum(acc);
            for (; p < P; p++)
            {
                du[p] *= gam;
                dot += du[p] * x[p];
                dx[p] = du[p] * sc + (accumulate ? dx[p] : g[p] * gD);
            }
            return dot;
        }

        /// <summary><see cref="GateAndSkip"/> for D per head (or none) in one vector pass, with the λ scale of the
        /// pre-gate output folded in: dz = dy·(λ·Y + D·x)·silu'(z), dD += gy·x (dx's gy·D is added by the reverse
        /// sweep's <see cref="ScaleDu"/>).</summary>
        private static void GateAndSkipHead(Core c, int it, int i, int h, float lam, Scratch w, BackwardScratch bw,
            float[]? dz, double[]? dDpart, int item)
        {
            var s = c.S;
            int P = s.P, pp = c.Pp, v = Lanes, ir = i * pp, ix = it * P, p = 0;
            bool hasD = c.D is not null, hasZ = c.Z is not null;
            float dh = hasD ? c.D![h] : 0f;
            Vector<float> vd = new(dh), vl = new(lam), acc = Vector<float>.Zero, one = Vector<float>.One;
            for (; p + v <= P; p += v)
            {
                var xv = new Vector<float>(c.X.AsSpan(ix + p));
                var gv = new Vector<float>(hasZ ? bw.Gy.AsSpan(ir + p) : c.Y.AsSpan(ix + p));
                if (hasZ)
                {
                    var pre = Vector.FusedMultiplyAdd(vd, xv, new Vector<float>(w.Y.AsSpan(ir + p)) * vl);
                    var sg = new Vector<float>(w.Sig.AsSpan(ir + p));
                    var zv = new Vector<float>(c.Z!.AsSpan(ix + p));
                    (new Vector<float>(c.Y.AsSpan(ix + p)) * pre * sg * Vector.FusedMultiplyAdd(zv, one - sg, one))
                        .CopyTo(dz!.AsSpan(ix + p));
                }
                acc = Vector.FusedMultiplyAdd(gv, xv, acc);
            }
            float dot = Vector.Sum(acc);
            for (; p < P; p++)
            {
                float xp = c.X[ix + p], gp = hasZ ? bw.Gy[ir + p] : c.Y[ix + p];
                if (hasZ)
                {
                    float yp = w.Y[ir + p] * lam + dh * xp, sg = w.Sig[ir + p], zp = c.Z![ix + p];
                    dz![ix + p] = c.Y[ix + p] * yp * sg * (1f + zp * (1f - sg));
                }
                dot += gp * xp;
            }
            if (hasD) dDpart![item] += dot;
        }

        /// <summary>Sig = sigmoid(z), Gate = silu(z) = sig·z for rows 0..tb of the token block at t0, as one vector
        /// pass per row (instead of TensorPrimitives.Sigmoid and Multiply per token).</summary>
        private static void PrepareGates(Core c, int b, int h, int t0, int tb, Scratch w)
        {
            var s = c.S;
            int pp = c.Pp, P = s.P, v = Lanes;
            var nl2e = new Vector<float>(-KernelMath.Log2E);
            for (int i = 0; i < tb; i++)
            {
                int iz = ((b * s.L + t0 + i) * s.H + h) * P, ir = i * pp, p = 0;
                for (; p + v <= P; p += v)
                {
                    var zv = new Vector<float>(c.Z.AsSpan(iz + p));
                    var sv = Vector<float>.One / (Vector<float>.One + KernelMath.Exp2(zv * nl2e));
                    sv.CopyTo(w.Sig.AsSpan(ir + p));
                    (sv * zv).CopyTo(w.Gate.AsSpan(ir + p));
                }
                for (; p < P; p++)
                {
                    float z = c.Z![iz + p], sg = KernelMath.Sigmoid(z);
                    w.Sig[ir + p] = sg;
                    w.Gate[ir + p] = sg * z;
                }
            }
        }

        /// <summary>Per token: dz = dy·(y + D·x)·silu'(z), dD += gy·x, dx = gy·D (initialises dx).</summary>
        private static void GateAndSkip(Core c, int it, int i, int h, Scratch w, BackwardScratch bw, float[] dx,
            float[]? dz, double[]? dDpart, int item)
        {
            var s = c.S;
            int P = s.P, pp = c.Pp;
            var x = c.X.AsSpan(it * P, P);
            // Without z, gy is dy (the forward sweep may not have copied it into Gy).
            ReadOnlySpan<float> gyr = c.Z is null ? c.Y.AsSpan(it * P, P) : bw.Gy.AsSpan(i * pp, P);
            var dxr = dx.AsSpan(it * P, P);
            if (c.Z is not null)
            {
                var pre = w.Y.AsSpan(i * pp, P);
                var dy = c.Y.AsSpan(it * P, P);
                var z = c.Z.AsSpan(it * P, P);
                var sig = w.Sig.AsSpan(i * pp, P);
                var dzr = dz!.AsSpan(it * P, P);
                for (int p = 0; p < P; p++)
                {
                    float yp = pre[p] + (c.D is null ? 0f : DValue(c.D, s, h, p) * x[p]);
                    dzr[p] = dy[p] * yp * sig[p] * (1f + z[p] * (1f - sig[p]));
                }
            }
            if (c.D is null)
            {
                dxr.Clear();
                return;
            }
            if (c.D.Length == s.H)
            {
                TensorPrimitives.Multiply(gyr, c.D[h], dxr);
                dDpart![item] += TensorPrimitives.Dot(gyr, x);
            }
            else
            {
                TensorPrimitives.Multiply(gyr, c.D.AsSpan(h * P, P), dxr);
                for (int p = 0; p < P; p++) dDpart![item * P + p] += gyr[p] * x[p];
            }
        }

        private static float DValue(float[] d, SsdShape s, int h, int p) => d.Length == s.H ? d[h] : d[h * s.P + p];
    }
}
