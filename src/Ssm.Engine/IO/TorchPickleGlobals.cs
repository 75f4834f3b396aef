namespace Ssm.Engine.IO;

/// <summary>The whitelist of Python globals a <c>torch.save</c> state dict may name, and what each one
/// does when REDUCE calls it. Anything else is rejected by name.</summary>
internal static class TorchPickleGlobals
{
    private static readonly Dictionary<(string, string), IPickleCallable> Callables = new IPickleCallable[]
    {
        new OrderedDictCallable(),
        new RebuildTensorCallable("_rebuild_tensor_v2"),
        new RebuildTensorCallable("_rebuild_tensor"),
        new RebuildParameterCallable(),
    }.ToDictionary(c => (c.QualifiedName[..c.QualifiedName.LastIndexOf('.')],
        c.QualifiedName[(c.QualifiedName.LastIndexOf('.') + 1)..]));

    /// <summary>Resolves a GLOBAL; throws <see cref="InvalidDataException"/> naming it when not allowed.</summary>
    public static object Resolve(string module, string name)
    {
        if (Callables.TryGetValue((module, name), out var callable)) return callable;
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
            return TorchStorage.Find(name) ?? throw new InvalidDataException(
                $"unsupported storage dtype torch.{name} (accepted: {TorchStorage.AcceptedNames})");
        throw new InvalidDataException($"global '{module}.{name}' is not allowed (a state dict needs only "
            + $"{string.Join(", ", Callables.Values.Select(c => c.QualifiedName))} and torch storage classes)");
    }

    private sealed class OrderedDictCallable : IPickleCallable
    {
        public string QualifiedName => "collections.OrderedDict";

        public object? Call(object?[] args)
        {
            if (args.Length != 0)
                throw new InvalidDataException($"{QualifiedName} takes no arguments here, got {args.Length}");
            return new PickleDict();
        }

        public override string ToString() => QualifiedName;
    }

    /// <summary><c>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
    /// [, metadata])</c> and the older <c>_rebuild_tensor(storage, storage_offset, size, stride)</c>.</summary>
    private sealed class RebuildTensorCallable(string name) : IPickleCallable
    {
        public string QualifiedName => "torch._utils." + name;

        public object? Call(object?[] args)
        {
            bool v2 = name == "_rebuild_tensor_v2";
            if (v2 ? args.Length is not (6 or 7) : args.Length != 4)
                throw new InvalidDataException($"{QualifiedName} got {args.Length} arguments");
            if (args[0] is not TorchStorageRef storage)
                throw new InvalidDataException($"storage argument is a {PickleReader.TypeName(args[0])}");
            if (args[1] is not long offset || offset < 0)
                throw new InvalidDataException($"storage_offset {Show(args[1])} is not a non-negative int");
            long[] size = IntTuple(args[2], "size");
            long[] stride = IntTuple(args[3], "stride");
            if (size.Length != stride.Length)
                throw new InvalidDataException($"size has {size.Length} dims, stride {stride.Length}");
            foreach (long s in size)
                if (s < 0 || s > int.MaxValue) throw new InvalidDataException($"size {s} out of range");
            foreach (long s in stride)
                if (s < 0) throw new InvalidDataException($"negative stride {s}");
            if (v2)
            {
                if (args[4] is not bool) throw new InvalidDataException("requires_grad is not a bool");
                if (args[5] is not PickleDict) throw new InvalidDataException("backward_hooks is not a dict");
                if (args.Length == 7 && args[6] is not (null or PickleDict))
                    throw new InvalidDataException("metadata is not a dict");
            }
            return new TorchTensorRecord(storage, offset, size, stride);
        }

        private static long[] IntTuple(object? v, string what)
        {
            if (v is not object?[] t) throw new InvalidDataException($"{what} is a {PickleReader.TypeName(v)}");
            var r = new long[t.Length];
            for (int i = 0; i < t.Length; i++)
                r[i] = t[i] as long? ?? throw new InvalidDataException($"{what}[{i}] is not an int");
            return r;
        }

        private static string Show(object? v) => v is long l ? l.ToString() : PickleReader.TypeName(v);

        public override string ToString() => QualifiedName;
    }

    /// <summary><c>_rebuild_parameter(data, requires_grad, backward_hooks)</c>: a parameter is its data.</summary>
    private sealed class RebuildParameterCallable : IPickleCallable
    {
        public string QualifiedName => "torch._utils._rebuild_parameter";

        public object? Call(object?[] args)
        {
            if (args.Length != 3) throw new InvalidDataException($"{QualifiedName} got {args.Length} arguments");
            if (args[0] is not TorchTensorRecord t)
                throw new InvalidDataException($"data is a {PickleReader.TypeName(args[0])}, not a tensor");
            if (args[1] is not bool) throw new InvalidDataException("requires_grad is not a bool");
            if (args[2] is not PickleDict) throw new InvalidDataException("backward_hooks is not a dict");
            return t;
        }

        public override string ToString() => QualifiedName;
    }
}
