using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Autograd;

/// <summary>The reverse sweep: topological order over the graph below the root, each node visited once,
/// gradients summed per tensor, leaf gradients accumulated into <see cref="Tensor.Grad"/>.</summary>
internal static class Backprop
{
    public static void Run(Tensor root, Tensor? seed)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("[backward] tensor does not require grad and has no grad_fn");
        if (seed is null && root.NumEl != 1)
            throw new InvalidOperationException(
                $"[backward] implicit gradient needs a scalar; got shape {ShapeUtil.Format(root.Shape)}");
        if (seed is not null && !seed.Shape.AsSpan().SequenceEqual(root.Shape))
            throw new ArgumentException(
                $"[backward] gradient shape {ShapeUtil.Format(seed.Shape)} != " +
                $"tensor shape {ShapeUtil.Format(root.Shape)}");

        using var _ = Tape.NoGrad();
        var order = TopologicalOrder(root);
        var start = seed?.Detach() ?? Tensor.Full(root.Shape, 1.0, root.DType).To(root.Device);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = start };
        var made = new List<Tensor>(); // gradients this sweep created: device ones are freed at the end
        if (seed is null) made.Add(start);
        foreach (var t in order) // outputs before the inputs they were computed from
        {
            if (!grads.Remove(t, out var g)) continue;
            if (t.IsLeaf)
            {
                Accumulate(t, g);
                continue;
            }
            var node = t.GradFn!;
            var inputGrads = node.Backward(g);
            if (inputGrads.Length != node.Inputs.Count)
                throw new InvalidOperationException(
                    $"[{node.Name}] backward returned {inputGrads.Length} gradients for {node.Inputs.Count} inputs");
            for (int i = 0; i < inputGrads.Length; i++)
            {
                var x = node.Inputs[i];
                var gi = inputGrads[i];
                if (gi is null || !x.RequiresGrad) continue;
                if (!gi.Shape.AsSpan().SequenceEqual(x.Shape))
                    throw new InvalidOperationException(
                        $"[{node.Name}] backward gave gradient {ShapeUtil.Format(gi.Shape)} " +
                        $"for input {i} of shape {ShapeUtil.Format(x.Shape)}");
                made.Add(gi);
                if (grads.TryGetValue(x, out var prev)) made.Add(grads[x] = F.Add(prev, gi));
                else grads[x] = gi;
            }
        }
        if (made.Exists(g => g.Device.IsGpu())) FreeDeviceGradients(made, order, seed);
    }

    /// <summary>Disposes the device buffers of the intermediate gradients, which nothing can reach once the sweep
    /// is over: leaf gradients are fresh copies, and storages shared with the forward graph or the seed are
    /// kept. (Temporaries inside backward rules are not tracked here; the caller frees what it holds.)</summary>
    private static void FreeDeviceGradients(List<Tensor> made, List<Tensor> order, Tensor? seed)
    {
        var keep = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        if (seed is not null) keep.Add(seed.Storage);
        foreach (var t in order)
        {
            keep.Add(t.Storage);
            if (t.Grad is not null) keep.Add(t.Grad.Storage);
            if (t.GradFn is not null) foreach (var x in t.GradFn.Inputs) keep.Add(x.Storage);
        }
        foreach (var g in made)
            if (g.Device.IsGpu() && keep.Add(g.Storage)) g.Dispose();
    }

    private static void Accumulate(Tensor leaf, Tensor g)
    {
        if (g.DType != leaf.DType && !(leaf.DType is DType.BFloat16 or DType.Float16)) g = g.To(leaf.DType);
        var c = g.Contiguous();
        // A gradient may alias another tensor's storage (views of an upstream gradient, or the same
        // tensor handed to several inputs): a leaf gets its own buffer so in-place updates stay local.
        if (c.Device.IsGpu()) leaf.Grad = leaf.Grad is null ? DeviceOps.Clone(c) : F.Add(leaf.Grad, c);
        else leaf.Grad = leaf.Grad is null ? Tensor.Zeros(c.Shape, c.DType).CopyFrom(c) : F.Add(leaf.Grad, c);
    }

    /// <summary>Non-leaf and leaf tensors that require grad, ordered so each precedes its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var post = new List<Tensor>();
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0) // iterative DFS: deep graphs (long sequences) must not overflow the stack
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((t, next + 1));
                var x = inputs[next];
                if (x.RequiresGrad && visited.Add(x)) stack.Push((x, 0));
                continue;
            }
            post.Add(t);
        }
        post.Reverse();
        return post;
    }
}
