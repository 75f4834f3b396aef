using Ssm.Engine.Devices;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary><c>vim_block</c> (FORMAT.md 4.11): hustvl/Vim's Block (Add → RMSNorm → bimamba v2 mixer), run through
/// <see cref="VimBlock.Forward(Func{string, Tensor}, Tensor, Tensor?, double, bool)"/>; outputs hidden_states and
/// residual, both with cotangents.</summary>
public sealed class VimBlockFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "vim_block";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        AutogradFamily.Run(golden, device, t =>
        {
            var (hidden, residual) = VimBlock.Forward(name => t[name], t["hidden_states"],
                t.GetValueOrDefault("residual"), golden.Double("eps", 1e-5), golden.Flag("if_divide_out"));
            return new Dictionary<string, Tensor> { ["hidden_states"] = hidden, ["residual"] = residual };
        });
}

/// <summary><c>vim_model</c> (FORMAT.md 4.12): the VisionMamba classifier. The model is built from the case's
/// checkpoint (<c>checkpoint</c> metadata, relative to the golden set root), which must load by name and hold
/// exactly the case's parameter inputs; those inputs then replace its parameters as autograd leaves so that the
/// image and parameter gradients of the logits are returned too.</summary>
public sealed class VimModelFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "vim_model";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => [];

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => CausalConv1dFamily.SupportsCpuOrGpu(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        var model = VimLoader.Load(CheckpointDir(golden));
        return AutogradFamily.Run(golden, device, t =>
        {
            foreach (var (path, _) in model.NamedParameters().ToList())
            {
                if (!t.TryGetValue(path, out var leaf))
                    throw new InvalidDataException($"[vim_model] {golden.Path} has no in.{path}");
                if (!model.GetParameter(path).ToArray().AsSpan().SequenceEqual(AutogradFamily.Host(leaf)))
                    throw new InvalidDataException($"[vim_model] checkpoint tensor {path} differs from in.{path}");
                model.SetParameter(path, leaf);
            }
            var o = model.Forward(t["x"]);
            return new Dictionary<string, Tensor>
            {
                ["embed"] = o.Embed, ["features"] = o.Features, ["logits"] = o.Logits,
            };
        });
    }

    /// <summary>The checkpoint directory named by the case: <c>&lt;set root&gt;/&lt;checkpoint&gt;</c>, the set root
    /// being three levels above the case file (<c>ops/vim_model/&lt;case&gt;.safetensors</c>).</summary>
    public static string CheckpointDir(GoldenCase golden)
    {
        if (!golden.Metadata.TryGetValue("checkpoint", out var rel) || string.IsNullOrEmpty(rel))
            throw new InvalidDataException($"[vim_model] {golden.Path} has no checkpoint metadata");
        string root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(
            Path.GetFullPath(golden.Path)))!)!;
        return Path.Combine(root, rel);
    }
}
