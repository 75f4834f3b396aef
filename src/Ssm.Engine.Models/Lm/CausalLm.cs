using Ssm.Engine.Devices;
using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>mamba_ssm <c>MambaLMHeadModel</c>: backbone plus a head tied to the embedding or separate.
/// Logits have <see cref="ModelConfig.PaddedVocabSize"/> columns.</summary>
public sealed class CausalLm : Module
{
    private readonly Linear? _lmHead;

    /// <summary>A model with seeded upstream-style initialisation (weights are usually loaded afterwards).
    /// </summary>
    public CausalLm(ModelConfig config, int seed = 0)
    {
        config.Validate();
        Config = config;
        var init = new Init(seed);
        Backbone = RegisterModule("backbone", new Backbone(config, init));
        if (!config.TieEmbeddings)
            _lmHead = RegisterModule("lm_head", new Linear(config.DModel, config.PaddedVocabSize, false, init));
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>Embedding, blocks and final norm.</summary>
    public Backbone Backbone { get; }

    /// <summary>The head matrix (V_pad, D): the embedding when tied.</summary>
    public Tensor HeadWeight => _lmHead?.Weight ?? Backbone.Embedding.Weight;

    /// <summary>Where the parameters live (the head weight's device).</summary>
    public DeviceSpec Device => HeadWeight.Device;

    /// <summary>Moves the parameters to <paramref name="device"/> (see <see cref="Module.MoveTo"/>; BF16/F16
    /// weights become float32 on an ILGPU device) and returns this model. Inputs stay integer host tensors: the
    /// embedding gathers rows on the parameters' device. Caches created afterwards live there too.</summary>
    public CausalLm To(DeviceSpec device)
    {
        MoveTo(device);
        return this;
    }

    /// <summary>Empty caches for this model's layers.</summary>
    public InferenceCache NewCache() =>
        new(Enumerable.Range(0, Config.NLayer).Select(Config.KindOf));

    /// <summary>ids (B, L) integer → logits (B, L, V_pad); continues from and advances
    /// <paramref name="cache"/> when given (prefill).</summary>
    public Tensor Forward(Tensor ids, InferenceCache? cache = null, List<Tensor>? stream = null)
    {
        var h = Backbone.Forward(ids, cache, stream);
        stream?.Add(h);
        if (cache is not null) cache.Position += ids.Shape[1];
        return F.Linear(h, HeadWeight);
    }

    /// <summary>ids (B) → logits (B, V_pad) through the recurrent path, advancing <paramref name="cache"/>.
    /// </summary>
    public Tensor Step(Tensor ids, InferenceCache cache)
    {
        var logits = F.Linear(Backbone.Step(ids, cache), HeadWeight);
        cache.Position++;
        return logits;
    }
}
