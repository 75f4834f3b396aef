// VSSD non-causal SSD (Mamba2.non_casual_linear_attn). Shapes: x (B, L, H, P), dt (B, L, H), A (H,),
// Bm / Cm (B, L, G·N), D (H,); head h reads group h mod G (heads interleaved over groups).
//   a[b,l,h]    = ±dt[b,l,h]·A[h]            (− when positiveDA: Δ·exp(A_log) > 0)
//   KV[b,h,n,p] = Σ_l Bm[b,l,g(h)·N+n] · a[b,l,h] · x[b,l,h,p]
//   y[b,l,h,p]  = Σ_n Cm[b,l,g(h)·N+n] · KV[b,h,n,p] + D[h]·x[b,l,h,p]
// Heads are viewed as (H/G, G) so g(h) = h mod G is the inner index and B/C broadcast over H/G: two batched GEMMs.
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Non-causal SSD (linear-attention duality) of VSSD: y = C·KV + D·x with KV = Σ_l B_l ⊗ (a_l·x_l)
    /// over all tokens (order-invariant). x (B, L, H, P), dt (B, L, H), A (H), bm / cm (B, L, G·N), d (H) or
    /// null → (B, L, H, P).</summary>
    public static Tensor NcSsd(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor? d, int groups,
        bool positiveDA)
    {
        if (x.Rank != 4) throw new ArgumentException($"[nc_ssd] x {ShapeUtil.Format(x.Shape)} must be (B, L, H, P)");
        int b = x.Shape[0], l = x.Shape[1], h = x.Shape[2], p = x.Shape[3];
        if (groups < 1 || h % groups != 0)
            throw new ArgumentException($"[nc_ssd] groups {groups} must divide the {h} heads");
        if (bm.Rank != 3 || bm.Shape[0] != b || bm.Shape[1] != l || bm.Shape[2] % groups != 0
            || !bm.Shape.AsSpan().SequenceEqual(cm.Shape))
            throw new ArgumentException($"[nc_ssd] B {ShapeUtil.Format(bm.Shape)} and C {ShapeUtil.Format(cm.Shape)} " +
                $"must both be (B, L, G·N) with B={b}, L={l}, G={groups}");
        if (!dt.Shape.AsSpan().SequenceEqual([b, l, h]) || a.Rank != 1 || a.Shape[0] != h
            || (d is not null && (d.Rank != 1 || d.Shape[0] != h)))
            throw new ArgumentException($"[nc_ssd] dt {ShapeUtil.Format(dt.Shape)}, A {ShapeUtil.Format(a.Shape)} " +
                $"must be (B, L, H) and (H,) for H={h}");
        int g = groups, n = bm.Shape[2] / g, j = h / g;
        var da = Mul(dt, a);                                                       // (B, L, H)
        if (positiveDA) da = Neg(da);
        var xa = Mul(x, da.Unsqueeze(-1));                                         // (B, L, H, P)
        var xg = xa.Reshape(b, l, j, g, p).Permute(0, 2, 3, 1, 4);                 // (B, J, G, L, P)
        var bg = bm.Reshape(b, l, g, n).Permute(0, 2, 3, 1).Unsqueeze(1);           // (B, 1, G, N, L)
        var kv = MatMul(bg, xg);                                                   // (B, J, G, N, P)
        var cg = cm.Reshape(b, l, g, n).Permute(0, 2, 1, 3).Unsqueeze(1);           // (B, 1, G, L, N)
        var y = MatMul(cg, kv).Permute(0, 3, 1, 2, 4).Reshape(b, l, h, p);          // (B, L, H, P)
        return d is null ? y : Add(y, Mul(x, d.Unsqueeze(-1)));
    }
}
