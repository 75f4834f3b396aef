namespace Ssm.Engine.IO;

/// <summary>A PyTorch <c>torch.save</c> checkpoint is malformed, uses something the restricted reader does
/// not accept (an opcode, a global, a storage type), or does not hold what was asked. The message names the
/// file and, where one is involved, the tensor.</summary>
public sealed class TorchCheckpointException : IOException
{
    /// <summary>The file involved.</summary>
    public string FilePath { get; }

    /// <summary>The tensor involved, if any.</summary>
    public string? TensorName { get; }

    /// <summary>Creates the exception; the message is prefixed with the file and tensor.</summary>
    public TorchCheckpointException(string filePath, string? tensorName, string message, Exception? inner = null)
        : base(Format(filePath, tensorName, message), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    private static string Format(string file, string? tensor, string message) =>
        tensor is null
            ? $"[torch_checkpoint] {file}: {message}"
            : $"[torch_checkpoint] {file}: tensor '{tensor}': {message}";
}
