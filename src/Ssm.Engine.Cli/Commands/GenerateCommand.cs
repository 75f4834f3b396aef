using System.CommandLine;
using System.Globalization;
using System.Text;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] [--temperature T]
/// [--top-k K] [--top-p P] [--seed S]</c>: loads a checkpoint directory (native or transformers layout) and
/// streams a continuation to stdout: decoded text when the directory holds a <c>tokenizer.json</c>, otherwise
/// the token ids comma-separated. With <c>--bytes</c> (byte-level models such as those of <c>ssm train lm</c>
/// without a tokenizer) the prompt is encoded and the output decoded as UTF-8 bytes (ids 0-255). Temperature 0
/// (the default) is greedy. Exit codes: 0 done, 2 usage or load error.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "Checkpoint directory", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs tokenizer.json)" };
        var ids = new Option<string?>("--prompt-ids") { Description = "Prompt token ids, comma-separated" };
        var max = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 32 };
        var temp = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Keep the K most likely tokens (0 = off)" };
        var topP = new Option<double>("--top-p")
        {
            Description = "Nucleus mass (1 = off)", DefaultValueFactory = _ => 1,
        };
        var seed = new Option<int?>("--seed") { Description = "Random seed" };
        var bytes = new Option<bool>("--bytes")
        {
            Description = "Byte-level model: prompt and output are UTF-8 bytes (ids 0-255), no tokenizer.json",
        };
        var cmd = new Command("generate", "Generate tokens from a Mamba checkpoint");
        foreach (var o in new Option[] { model, prompt, ids, max, temp, topK, topP, seed, bytes }) cmd.Options.Add(o);
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(prompt), p.GetValue(ids), new SamplingOptions
        {
            MaxTokens = p.GetValue(max), Temperature = p.GetValue(temp), TopK = p.GetValue(topK),
            TopP = p.GetValue(topP), Seed = p.GetValue(seed),
        }, ctx.Out, ctx.Err, p.GetValue(bytes)));
        return cmd;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(string modelDir, string? prompt, string? promptIds, SamplingOptions options,
        TextWriter stdout, TextWriter stderr, bool bytes = false)
    {
        if ((prompt is null) == (promptIds is null))
            return Fail(stderr, "give exactly one of --prompt and --prompt-ids");
        try
        {
            options.Validate();
            string tokPath = Path.Combine(modelDir, "tokenizer.json");
            var tok = !bytes && File.Exists(tokPath) ? BpeTokenizer.FromFile(tokPath) : null;
            int[] input;
            if (promptIds is not null) input = ParseIds(promptIds);
            else if (bytes) input = [.. Encoding.UTF8.GetBytes(prompt!).Select(b => (int)b)];
            else if (tok is null)
                return Fail(stderr, $"--prompt needs {tokPath} (or --bytes); pass --prompt-ids instead");
            else input = tok.Encode(prompt!);
            var loaded = ModelLoader.Load(modelDir, new LoadOptions(KeepBFloat16: true));
            foreach (var w in loaded.Warnings) stderr.WriteLine($"ssm generate: warning: {w}");
            if (bytes && loaded.Model.Config.VocabSize > 256)
                return Fail(stderr, $"--bytes needs a byte-level model (vocab_size {loaded.Model.Config.VocabSize})");
            var decoder = tok is null ? null : new TokenStreamDecoder(tok);
            var utf8 = bytes ? new UTF8Encoding(false).GetDecoder() : null;
            bool first = true;
            foreach (int id in Generator.Generate(loaded.Model, input, options))
            {
                stdout.Write(utf8 is not null ? Utf8Chars(utf8, id, flush: false)
                    : decoder is null ? (first ? "" : ",") + id.ToString(CultureInfo.InvariantCulture)
                    : decoder.Push(id));
                stdout.Flush();
                first = false;
            }
            stdout.WriteLine(utf8 is not null ? Utf8Chars(utf8, -1, flush: true) : decoder?.Flush() ?? "");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or NotSupportedException
                                      or ModelConfigReadException or CheckpointException or TokenizerFormatException
                                      or InvalidDataException or Ssm.Engine.IO.SafetensorsException)
        {
            return Fail(stderr, e.Message);
        }
    }

    // Streams bytes through a UTF-8 decoder so multi-byte characters print once complete (-1 = no byte).
    private static string Utf8Chars(Decoder utf8, int id, bool flush)
    {
        byte[] one = id >= 0 ? [(byte)id] : [];
        var chars = new char[8];
        int n = utf8.GetChars(one, 0, one.Length, chars, 0, flush);
        return new string(chars, 0, n);
    }

    private static int[] ParseIds(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"ssm generate: {message}");
        return 2;
    }
}
