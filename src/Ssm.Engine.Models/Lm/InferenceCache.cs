using Ssm.Engine.Devices;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Lm;

/// <summary>Recurrent state of one layer: conv cache (B, C, K) and SSM state (Mamba-1 (B, D, N), Mamba-2
/// (B, H, P, N)), or the attention KV cache (B, Lk, Hkv, hd). Null tensors mean "nothing seen yet".</summary>
public sealed class LayerCache(LayerKind kind)
{
    /// <summary>Which mixer owns this cache.</summary>
    public LayerKind Kind { get; } = kind;
    /// <summary>Last K raw conv inputs, oldest first.</summary>
    public Tensor? Conv { get; set; }
    /// <summary>SSM state.</summary>
    public Tensor? Ssm { get; set; }
    /// <summary>Keys so far.</summary>
    public Tensor? Key { get; set; }
    /// <summary>Values so far.</summary>
    public Tensor? Value { get; set; }

    /// <summary>A deep copy (detached from any graph).</summary>
    public LayerCache Copy() =>
        new(Kind) { Conv = Clone(Conv), Ssm = Clone(Ssm), Key = Clone(Key), Value = Clone(Value) };

    /// <summary>Forgets everything.</summary>
    public void Reset() => Conv = Ssm = Key = Value = null;

    private static Tensor? Clone(Tensor? t) => t is null ? null
        : (t.Device.IsGpu() ? Tensor.Zeros(t.Device, t.Shape) : Tensor.Zeros(t.Shape, t.DType)).CopyFrom(t.Detach());
}

/// <summary>Per-layer caches of a model plus the number of tokens already processed.</summary>
public sealed class InferenceCache
{
    private readonly LayerCache[] _layers;

    /// <summary>Empty caches for the given layer kinds.</summary>
    public InferenceCache(IEnumerable<LayerKind> kinds) => _layers = [.. kinds.Select(k => new LayerCache(k))];

    private InferenceCache(LayerCache[] layers, int position)
    {
        _layers = layers;
        Position = position;
    }

    /// <summary>One cache per layer.</summary>
    public IReadOnlyList<LayerCache> Layers => _layers;

    /// <summary>Tokens processed so far.</summary>
    public int Position { get; set; }

    /// <summary>A deep copy.</summary>
    public InferenceCache Copy() => new([.. _layers.Select(l => l.Copy())], Position);

    /// <summary>A deep copy to restore later (<see cref="Restore"/>).</summary>
    public InferenceCache Snapshot() => Copy();

    /// <summary>Returns to a snapshot taken from a cache of the same model.</summary>
    public void Restore(InferenceCache snapshot)
    {
        if (snapshot._layers.Length != _layers.Length)
            throw new ArgumentException(
                $"[cache] snapshot has {snapshot._layers.Length} layers, cache {_layers.Length}");
        for (int i = 0; i < _layers.Length; i++) _layers[i] = snapshot._layers[i].Copy();
        Position = snapshot.Position;
    }

    /// <summary>Forgets every layer's state.</summary>
    public void Reset()
    {
        foreach (var l in _layers) l.Reset();
        Position = 0;
    }
}
