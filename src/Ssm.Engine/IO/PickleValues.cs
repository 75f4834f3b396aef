namespace Ssm.Engine.IO;

// The values a restricted unpickle can produce. Python None is C# null, int is long, float is double,
// bool is bool, str is string, tuple is object?[], list is List<object?>, dict is PickleDict. Nothing else
// is ever created: globals resolve to objects chosen by the caller (see PickleReader.GlobalResolver).

/// <summary>A Python dict / <c>collections.OrderedDict</c>, keeping insertion order like both do.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();

    /// <summary>Items in insertion order (a re-assigned key keeps its first position, as in Python).</summary>
    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    /// <summary>Instance attributes set by BUILD (an OrderedDict's <c>_metadata</c>); never interpreted.</summary>
    public PickleDict? Attributes { get; set; }

    public int Count => _items.Count;

    /// <summary>Sets a key; only immutable scalar keys (str, int, bool, float) are accepted.</summary>
    public void Set(object? key, object? value)
    {
        if (key is not (string or long or bool or double))
            throw new InvalidDataException($"dict key of type {PickleReader.TypeName(key)} is not supported");
        if (_index.TryGetValue(key, out int at)) _items[at] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int at))
        {
            value = _items[at].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>A whitelisted Python callable that REDUCE may apply; implementations validate their arguments
/// and throw <see cref="InvalidDataException"/> on anything unexpected.</summary>
internal interface IPickleCallable
{
    /// <summary>The dotted Python name, for messages.</summary>
    string QualifiedName { get; }

    /// <summary>Applies the callable to a REDUCE argument tuple.</summary>
    object? Call(object?[] args);
}
