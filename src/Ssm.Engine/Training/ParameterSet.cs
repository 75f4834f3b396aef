using System.Collections;
using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Training;

/// <summary>One trainable tensor and its dotted name (e.g. <c>layers.0.mixer.A_log</c>).</summary>
public sealed record NamedParameter(string Name, Tensor Param);

/// <summary>An ordered set of uniquely named, trainable leaf tensors: what optimisers, clipping, guards and
/// checkpoints work on. The model side builds one from its parameter list.</summary>
public sealed class ParameterSet : IReadOnlyList<NamedParameter>
{
    private readonly List<NamedParameter> _items;
    private readonly Dictionary<string, NamedParameter> _byName;

    /// <summary>Builds the set; every tensor must be a floating, contiguous leaf, names unique and non-empty.
    /// Tensors get <see cref="Tensor.RequiresGrad"/> = true.</summary>
    public ParameterSet(IEnumerable<(string Name, Tensor Param)> parameters)
    {
        _items = [];
        _byName = new(StringComparer.Ordinal);
        foreach (var (name, p) in parameters)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("[parameters] empty parameter name");
            if (!p.IsLeaf) throw new ArgumentException($"[parameters] '{name}' is not a leaf tensor");
            if (!Tensor.IsFloating(p.DType))
                throw new ArgumentException($"[parameters] '{name}' {ShapeUtil.Format(p.Shape)} is {p.DType}");
            if (!p.IsContiguous)
                throw new ArgumentException($"[parameters] '{name}' {ShapeUtil.Format(p.Shape)} is not contiguous");
            var np = new NamedParameter(name, p);
            if (!_byName.TryAdd(name, np)) throw new ArgumentException($"[parameters] duplicate name '{name}'");
            p.RequiresGrad = true;
            _items.Add(np);
        }
    }

    /// <summary>Builds the set from <see cref="NamedParameter"/> records.</summary>
    public ParameterSet(IEnumerable<NamedParameter> parameters) : this(parameters.Select(p => (p.Name, p.Param))) { }

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public NamedParameter this[int index] => _items[index];

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public Tensor this[string name] => _byName.TryGetValue(name, out var p)
        ? p.Param
        : throw new KeyNotFoundException($"[parameters] no parameter named '{name}'");

    /// <summary>True when a parameter of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Total number of scalar elements.</summary>
    public long NumElements => _items.Sum(p => (long)p.Param.NumEl);

    /// <summary>Drops every gradient (the next backward starts from zero).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _items) p.Param.Grad = null;
    }

    /// <summary>Writes the parameter values (own dtypes, names as keys) atomically.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsWriter.Write(path, _items.Select(p => TensorBytes.ToEntry(p.Name, p.Param)), metadata);

    /// <summary>Copies values from a tensor source into the parameters (in place). Every parameter must be
    /// present with the same shape; dtypes are converted.</summary>
    public void Load(ITensorSource source)
    {
        foreach (var p in _items)
        {
            var (_, shape) = source.Describe(p.Name);
            if (!shape.AsSpan().SequenceEqual(p.Param.Shape))
                throw new ArgumentException(
                    $"[parameters] '{p.Name}' is {ShapeUtil.Format(p.Param.Shape)} here but "
                    + $"{ShapeUtil.Format(shape)} in {source.SourcePath}");
        }
        foreach (var p in _items) TensorBytes.ReadInto(source, p.Name, p.Param);
    }

    /// <inheritdoc/>
    public IEnumerator<NamedParameter> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
