using System.Reflection;
using Ssm.Engine.IO;

namespace Ssm.Engine.Models.Loading;

/// <summary>Chooses the weight file of a checkpoint directory; every format is read through
/// <see cref="ITensorSource"/>.</summary>
public static class CheckpointFiles
{
    /// <summary>Sharded index</summary>
    public const string ShardIndex = "model.safetensors.index.json";
    /// <summary>Single safetensors file.</summary>
    public const string Safetensors = "model.safetensors";
    /// <summary>PyTorch pickle-in-zip state dict.</summary>
    public const string TorchBin = "pytorch_model.bin";

    /// <summary>Opens the weights in <paramref name="dir"/>, preferring the sharded index, then
    /// model.safetensors, then pytorch_model.bin.</summary>
    public static ITensorSource OpenWeights(string dir)
    {
        string index = Path.Combine(dir, ShardIndex), single = Path.Combine(dir, Safetensors);
        string bin = Path.Combine(dir, TorchBin);
        if (File.Exists(index)) return ShardedTensorSource.Open(index);
        if (File.Exists(single)) return SafetensorsFile.Open(single);
        if (File.Exists(bin)) return OpenTorch(bin);
        throw new FileNotFoundException(
            $"[checkpoint] {dir} holds none of {ShardIndex}, {Safetensors}, {TorchBin}", dir);
    }

    /// <summary>pytorch_model.bin goes to <c>Ssm.Engine.IO.TorchCheckpoint.Open(path)</c>, found at run time so
    /// that the reader is used as soon as it is part of Ssm.Engine.</summary>
    public static ITensorSource OpenTorch(string path)
    {
        var open = typeof(ITensorSource).Assembly.GetType("Ssm.Engine.IO.TorchCheckpoint")
            ?.GetMethod("Open", BindingFlags.Public | BindingFlags.Static, [typeof(string)]);
        if (open is null)
            throw new NotSupportedException($"[checkpoint] {path}: no pytorch_model.bin reader " +
                "(Ssm.Engine.IO.TorchCheckpoint) is available; convert the checkpoint to safetensors");
        try { return (ITensorSource)open.Invoke(null, [path])!; }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
