using Ssm.Engine.Tensors;

namespace Ssm.Engine.Autograd;

/// <summary>One recorded op in the autograd graph: its inputs and its own backward rule (a VJP).</summary>
public sealed class Node
{
    /// <summary>The op name (diagnostics and error messages only, never a dispatch key).</summary>
    public string Name { get; }

    /// <summary>The op's tensor inputs, in the order the backward returns their gradients.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>Maps the output gradient to one gradient per input (null where none flows).</summary>
    internal Func<Tensor, Tensor?[]> Backward { get; }

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Node({Name})";
}

/// <summary>Thrown when backward reaches an op that has no derivative (argmax indices, one-hot,
/// comparisons...).</summary>
public sealed class NotDifferentiableException : InvalidOperationException
{
    /// <summary>The op that cannot be differentiated.</summary>
    public string OpName { get; }

    /// <summary>Creates the exception for <paramref name="opName"/>.</summary>
    public NotDifferentiableException(string opName)
        : base($"[{opName}] is not differentiable: no gradient flows through its output")
        => OpName = opName;
}
