namespace Ssm.Engine.IO;

/// <summary>A safetensors file is malformed or does not hold what was asked; the message names the
/// file and, where one is involved, the tensor.</summary>
public sealed class SafetensorsException : IOException
{
    /// <summary>The file involved.</summary>
    public string FilePath { get; }

    /// <summary>The tensor involved, if any.</summary>
    public string? TensorName { get; }

    /// <summary>Creates the exception; the message is prefixed with the file and tensor.</summary>
    public SafetensorsException(string filePath, string? tensorName, string message, Exception? inner = null)
        : base(Format(filePath, tensorName, message), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    private static string Format(string file, string? tensor, string message) =>
        tensor is null ? $"{file}: {message}" : $"{file}: tensor '{tensor}': {message}";
}
