using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>mamba_ssm <c>MixerModel</c>: embedding, blocks, final fused add + RMSNorm.</summary>
public sealed class Backbone : Module
{
    private readonly ModuleList<Block> _layers;
    private readonly RmsNorm _normF;

    /// <summary>Builds every layer of <paramref name="config"/> with seeded initialisation.</summary>
    public Backbone(ModelConfig config, Init init)
    {
        Config = config;
        Embedding = RegisterModule("embedding", new Embedding(config.PaddedVocabSize, config.DModel, init));
        _layers = RegisterModule("layers", new ModuleList<Block>());
        for (int i = 0; i < config.NLayer; i++)
        {
            Module mixer = config.KindOf(i) switch
            {
                LayerKind.Mamba1 => new MambaMixer(config.DModel, config.Ssm, init),
                LayerKind.Mamba2 => new Mamba2Mixer(config.DModel, config.Ssm, config.NormEps, init),
                _ => new Attention(config.DModel, config.Attention, init),
            };
            var mlp = config.DIntermediate > 0 ? new GatedMlp(config.DModel, config.DIntermediate, init) : null;
            _layers.Add(new Block(config.DModel, mixer, mlp, config.NormEps));
        }
        _normF = RegisterModule("norm_f", new RmsNorm(config.DModel, config.NormEps));
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>The token embedding.</summary>
    public Embedding Embedding { get; }

    /// <summary>The blocks.</summary>
    public IReadOnlyList<Block> Layers => Enumerable.Range(0, _layers.Count).Select(i => _layers[i]).ToList();

    /// <summary>ids (B, L) → normed hidden states (B, L, D). <paramref name="stream"/>, when given, receives the
    /// residual stream after the embedding and after each block (hidden + residual).</summary>
    public Tensor Forward(Tensor ids, InferenceCache? cache = null, List<Tensor>? stream = null)
    {
        var hidden = Embedding.Forward(ids);
        stream?.Add(hidden);
        Tensor? residual = null;
        for (int i = 0; i < _layers.Count; i++)
        {
            (hidden, residual) = _layers[i].Forward(hidden, residual, cache?.Layers[i]);
            stream?.Add(F.Add(hidden, residual));
        }
        return _normF.Forward(hidden, residual).Y;
    }

    /// <summary>ids (B) → normed hidden states (B, D), advancing <paramref name="cache"/> by one token.</summary>
    public Tensor Step(Tensor ids, InferenceCache cache)
    {
        var hidden = Embedding.Forward(ids);
        Tensor? residual = null;
        for (int i = 0; i < _layers.Count; i++) (hidden, residual) = _layers[i].Step(hidden, residual, cache.Layers[i]);
        return _normF.Forward(hidden, residual).Y;
    }
}
