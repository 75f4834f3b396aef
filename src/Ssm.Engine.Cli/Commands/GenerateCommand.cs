using System.CommandLine;
using System.Globalization;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] [--temperature T]
/// [--top-k K] [--top-p P] [--seed S]</c>: loads a checkpoint directory (native or transformers layout) and
/// streams a continuation to stdout: decoded text when the directory holds a <c>tokenizer.json</c>, otherwise
/// the token ids comma-separated. Temperature 0 (the default) is greedy. Exit codes: 0 done, 2 usage or load
/// error.
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
        var cmd = new Command("generate", "Generate tokens from a Mamba checkpoint");
        foreach (var o in new Option[] { model, prompt, ids, max, temp, topK, topP, seed }) cmd.Options.Add(o);
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(prompt), p.GetValue(ids), new SamplingOptions
        {
            MaxTokens = p.GetValue(max), Temperature = p.GetValue(temp), TopK = p.GetValue(topK),
            TopP = p.GetValue(topP), Seed = p.GetValue(seed),
        }, ctx.Out, ctx.Err));
        return cmd;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(string modelDir, string? prompt, string? promptIds, SamplingOptions options,
        TextWriter stdout, TextWriter stderr)
    {
        if ((prompt is null) == (promptIds is null))
            return Fail(stderr, "give exactly one of --prompt and --prompt-ids");
        try
        {
            options.Validate();
            string tokPath = Path.Combine(modelDir, "tokenizer.json");
            var tok = File.Exists(tokPath) ? BpeTokenizer.FromFile(tokPath) : null;
            int[] input;
            if (promptIds is not null) input = ParseIds(promptIds);
            else if (tok is null) return Fail(stderr, $"--prompt needs {tokPath}; pass --prompt-ids instead");
            else input = tok.Encode(prompt!);
            var loaded = ModelLoader.Load(modelDir, new LoadOptions(KeepBFloat16: true));
            foreach (var w in loaded.Warnings) stderr.WriteLine($"ssm generate: warning: {w}");
            var decoder = tok is null ? null : new TokenStreamDecoder(tok);
            bool first = true;
            foreach (int id in Generator.Generate(loaded.Model, input, options))
            {
                stdout.Write(decoder is null ? (first ? "" : ",") + id.ToString(CultureInfo.InvariantCulture)
                    : decoder.Push(id));
                stdout.Flush();
                first = false;
            }
            stdout.WriteLine(decoder?.Flush() ?? "");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or NotSupportedException
                                      or ModelConfigReadException or CheckpointException or TokenizerFormatException
                                      or InvalidDataException or Ssm.Engine.IO.SafetensorsException)
        {
            return Fail(stderr, e.Message);
        }
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
