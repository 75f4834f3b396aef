using System.Text;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;

namespace Ssm.Engine.Models.Training;

/// <summary>A tokenized text held in memory, from which language-model batches are cut: random contiguous
/// windows for training, consecutive windows for evaluation. Without a tokenizer the ids are the UTF-8 bytes
/// (0-255).</summary>
public sealed class TokenCorpus
{
    /// <summary>A corpus over <paramref name="tokens"/> (copied by reference).</summary>
    public TokenCorpus(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Tokens = tokens;
    }

    /// <summary>The token ids.</summary>
    public int[] Tokens { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Length;

    /// <summary>Tokenizes <paramref name="text"/> with <paramref name="tokenizer"/>, or as UTF-8 bytes when it is
    /// null.</summary>
    public static TokenCorpus FromText(string text, BpeTokenizer? tokenizer = null) =>
        new(tokenizer is null
            ? [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)]
            : tokenizer.Encode(text, addSpecialTokens: false));

    /// <summary>Reads and tokenizes a UTF-8 text file.</summary>
    public static TokenCorpus FromFile(string path, BpeTokenizer? tokenizer = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"[token_corpus] no text file {path}", path);
        return FromText(File.ReadAllText(path, Encoding.UTF8), tokenizer);
    }

    /// <summary>The largest id (-1 when empty).</summary>
    public int MaxId => Tokens.Length == 0 ? -1 : Tokens.Max();

    /// <summary><paramref name="batch"/> windows of <paramref name="length"/> + 1 consecutive tokens starting at
    /// uniform random offsets drawn from <paramref name="rng"/> (one draw per row, in row order): inputs are the
    /// first <paramref name="length"/> tokens, targets the next-token shift, every position scored.</summary>
    public TokenBatch Sample(PhiloxRandom rng, int batch, int length)
    {
        CheckLength(batch, length);
        var inputs = new int[batch * length];
        var targets = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int start = rng.NextInt(0, Count - length);
            Tokens.AsSpan(start, length).CopyTo(inputs.AsSpan(b * length, length));
            Tokens.AsSpan(start + 1, length).CopyTo(targets.AsSpan(b * length, length));
        }
        return new TokenBatch(batch, length, inputs, targets, Filled(batch * length));
    }

    /// <summary>Number of non-overlapping evaluation windows of <paramref name="length"/> predicted tokens.
    /// </summary>
    public int WindowCount(int length) => length < 1 || Count < 2 ? 0 : (Count - 1) / length;

    /// <summary>Evaluation windows <paramref name="first"/> .. <paramref name="first"/> + <paramref name="batch"/>
    /// - 1: window w covers tokens [w·L, w·L + L] (inputs then the shifted targets), so consecutive windows
    /// predict every token after the first exactly once.</summary>
    public TokenBatch Window(int first, int batch, int length)
    {
        CheckLength(batch, length);
        if (first < 0 || first + batch > WindowCount(length))
            throw new ArgumentException($"[token_corpus] windows {first}..{first + batch - 1} outside "
                + $"0..{WindowCount(length) - 1} (L = {length}, {Count} tokens)");
        var inputs = new int[batch * length];
        var targets = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int start = (first + b) * length;
            Tokens.AsSpan(start, length).CopyTo(inputs.AsSpan(b * length, length));
            Tokens.AsSpan(start + 1, length).CopyTo(targets.AsSpan(b * length, length));
        }
        return new TokenBatch(batch, length, inputs, targets, Filled(batch * length));
    }

    private void CheckLength(int batch, int length)
    {
        if (batch < 1 || length < 1)
            throw new ArgumentException($"[token_corpus] batch {batch} and length {length} must be positive");
        if (Count < length + 1)
            throw new ArgumentException(
                $"[token_corpus] {Count} tokens are too few for windows of {length} + 1 tokens");
    }

    private static byte[] Filled(int n)
    {
        var m = new byte[n];
        Array.Fill(m, (byte)1);
        return m;
    }
}
