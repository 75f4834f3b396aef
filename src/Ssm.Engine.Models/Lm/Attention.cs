using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>Causal multi-head attention with grouped KV heads (mamba_ssm <c>MHA</c>, no rotary, no conv):
/// [q | k | v] = in_proj(u), query head h reads KV head h / (H/Hkv), a token attends to itself and all earlier
/// tokens (flash-attn semantics also when decoding), out_proj(concat heads).</summary>
public sealed class Attention : Module, IMixer
{
    private readonly Linear _inProj, _outProj;

    /// <summary>An attention layer of width <paramref name="dModel"/>.</summary>
    public Attention(int dModel, AttentionConfig c, Init init)
    {
        Heads = c.NumHeads;
        KvHeads = c.NumHeadsKv ?? c.NumHeads;
        HeadDim = c.HeadDim ?? dModel / Heads;
        Scale = c.SoftmaxScale ?? 1.0 / Math.Sqrt(HeadDim);
        _inProj = RegisterModule("in_proj", new Linear(dModel, (Heads + 2 * KvHeads) * HeadDim, c.QkvProjBias, init));
        _outProj = RegisterModule("out_proj", new Linear(Heads * HeadDim, dModel, c.OutProjBias, init));
    }

    /// <inheritdoc/>
    public LayerKind Kind => LayerKind.Attention;
    /// <summary>Query heads.</summary>
    public int Heads { get; }
    /// <summary>KV heads.</summary>
    public int KvHeads { get; }
    /// <summary>Head size.</summary>
    public int HeadDim { get; }
    /// <summary>Softmax scale.</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, LayerCache? cache = null)
    {
        int b = x.Shape[0], l = x.Shape[1], q = Heads * HeadDim, kv = KvHeads * HeadDim;
        var p = F.Split(_inProj.Forward(x), [q, kv, kv], -1);
        var k = p[1].Reshape(b, l, KvHeads, HeadDim);
        var v = p[2].Reshape(b, l, KvHeads, HeadDim);
        if (cache is not null)
        {
            if (cache.Key is not null)
            {
                k = F.Concat([cache.Key, k], 1);
                v = F.Concat([cache.Value!, v], 1);
            }
            cache.Key = k;
            cache.Value = v;
        }
        int lk = k.Shape[1], past = lk - l;
        var qh = p[0].Reshape(b, l, Heads, HeadDim).Permute(0, 2, 1, 3);       // (B, H, L, hd)
        var kh = RepeatKv(k.Permute(0, 2, 1, 3), b, lk);                        // (B, H, Lk, hd)
        var vh = RepeatKv(v.Permute(0, 2, 1, 3), b, lk);
        var scores = F.MatMul(qh, kh.MT) * Scale + CausalMask(l, lk, past).To(x.Device);
        var o = F.MatMul(F.Softmax(scores, -1), vh);                            // (B, H, L, hd)
        return _outProj.Forward(o.Permute(0, 2, 1, 3).Reshape(b, l, q));
    }

    /// <inheritdoc/>
    public Tensor Step(Tensor xt, LayerCache cache) => Forward(xt.Unsqueeze(1), cache).Squeeze(1);

    private Tensor RepeatKv(Tensor t, int b, int lk)
    {
        if (KvHeads == Heads) return t;
        int rep = Heads / KvHeads;
        return t.Unsqueeze(2).Expand(b, KvHeads, rep, lk, HeadDim).Reshape(b, Heads, lk, HeadDim);
    }

    /// <summary>(L, Lk) additive mask: query i (absolute position past + i) sees keys 0..past + i.</summary>
    private static Tensor CausalMask(int l, int lk, int past)
    {
        var m = new float[l * lk];
        for (int i = 0; i < l; i++)
            for (int j = past + i + 1; j < lk; j++) m[i * lk + j] = float.NegativeInfinity;
        return Tensor.FromArray(m, l, lk);
    }
}
