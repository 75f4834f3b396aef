namespace Ssm.Engine.Models.Nn;

/// <summary>An indexed list of child modules, named <c>0</c>, <c>1</c>, … in parameter paths.</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = [];

    /// <summary>Appends <paramref name="item"/> under the next index.</summary>
    public void Add(T item) => _items.Add(RegisterModule(_items.Count.ToString(), item));

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>The module at <paramref name="i"/>.</summary>
    public T this[int i] => _items[i];
}
