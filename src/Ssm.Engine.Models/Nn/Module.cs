using Ssm.Engine.Devices;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>A layer with named parameters and named child modules. Parameter paths join the names with dots,
/// as PyTorch state dicts do: <c>backbone.layers.0.mixer.A_log</c>. Parameters start without gradients
/// (inference); <see cref="SetRequiresGrad"/> turns them on for training.</summary>
public abstract class Module
{
    private readonly List<string> _paramOrder = [];
    private readonly Dictionary<string, Tensor> _params = [];
    private readonly List<(string Name, Module Child)> _children = [];

    /// <summary>Adds a parameter under <paramref name="name"/> and returns it.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        if (_params.ContainsKey(name)) throw new InvalidOperationException($"[module] parameter {name} exists");
        _paramOrder.Add(name);
        _params[name] = value;
        return value;
    }

    /// <summary>Adds a child module under <paramref name="name"/> and returns it.</summary>
    protected T RegisterModule<T>(string name, T child) where T : Module
    {
        _children.Add((name, child));
        return child;
    }

    /// <summary>The current value of one of this module's own parameters.</summary>
    protected Tensor Param(string name) => _params[name];

    /// <summary>True when this module has its own parameter <paramref name="name"/>.</summary>
    protected bool HasParam(string name) => _params.ContainsKey(name);

    /// <summary>Every parameter of this module and its children, depth first, in registration order.</summary>
    public IEnumerable<(string Path, Tensor Value)> NamedParameters(string prefix = "")
    {
        foreach (var n in _paramOrder) yield return (prefix + n, _params[n]);
        foreach (var (name, child) in _children)
            foreach (var p in child.NamedParameters(prefix + name + ".")) yield return p;
    }

    /// <summary>The parameter tensors (see <see cref="NamedParameters"/>).</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.NumEl);

    /// <summary>Replaces the parameter at <paramref name="path"/>; the new value must have the same shape
    /// (its dtype may differ, e.g. BF16 weights kept half size).</summary>
    public void SetParameter(string path, Tensor value)
    {
        var (owner, name) = Resolve(path);
        var old = owner._params[name];
        if (!old.Shape.AsSpan().SequenceEqual(value.Shape))
            throw new ArgumentException(
                $"[module] {path}: shape {ShapeUtil.Format(value.Shape)}, expected {ShapeUtil.Format(old.Shape)}");
        owner._params[name] = value;
    }

    /// <summary>The parameter at <paramref name="path"/>.</summary>
    public Tensor GetParameter(string path)
    {
        var (owner, name) = Resolve(path);
        return owner._params[name];
    }

    /// <summary>Moves every parameter to <paramref name="device"/> (a copy per parameter; parameters already there
    /// stay). Only float32 lives on an ILGPU device, so BF16/F16 parameters are widened to float32 when they move
    /// to one. Gradient flags are kept.</summary>
    public void MoveTo(DeviceSpec device)
    {
        foreach (var (path, t) in NamedParameters().ToList())
        {
            if (t.Device == device) continue;
            var v = t.Detach();
            if (device.IsGpu() && v.DType is DType.BFloat16 or DType.Float16) v = v.To(DType.Float32);
            v = v.To(device);
            SetParameter(path, t.RequiresGrad ? v.WithRequiresGrad() : v);
        }
    }

    /// <summary>Marks every parameter as requiring gradients (or not).</summary>
    public void SetRequiresGrad(bool value = true)
    {
        foreach (var (path, t) in NamedParameters().ToList())
            if (Tensor.IsFloating(t.DType)) SetParameter(path, t.Detach().WithRequiresGrad(value));
    }

    private (Module Owner, string Name) Resolve(string path)
    {
        if (_params.ContainsKey(path)) return (this, path);
        foreach (var (name, child) in _children)
            if (path.StartsWith(name + ".", StringComparison.Ordinal))
            {
                try { return child.Resolve(path[(name.Length + 1)..]); }
                catch (KeyNotFoundException) { }
            }
        throw new KeyNotFoundException($"[module] no parameter {path}");
    }
}
