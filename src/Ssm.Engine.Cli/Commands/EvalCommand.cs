using System.CommandLine;
using System.Globalization;
using System.Text;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Text;
using Ssm.Engine.Models.Training;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm eval --model DIR --text FILE [--window W] [--threads T]</c>: perplexity of a text file under
/// a checkpoint, tokenized with the directory's <c>tokenizer.json</c> or, without one, as UTF-8 bytes (ids
/// 0-255). Prints tokens, mean NLL, perplexity and tokens/s. With <c>--fresh-windows</c> each window of W tokens
/// is scored from a fresh state instead (the condition of training on W-token windows; a trailing partial window
/// is dropped), which also keeps attention layers of hybrids to W tokens of context. Exit codes: 0 done, 2 usage
/// or load error.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "Checkpoint directory", Required = true };
        var text = new Option<string>("--text") { Description = "UTF-8 text file to score", Required = true };
        var window = new Option<int>("--window")
        {
            Description = "Tokens per forward call (the state is carried across)", DefaultValueFactory = _ => 512,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Threads for tensor ops", DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var fresh = new Option<bool>("--fresh-windows")
        {
            Description = "Score each window from a fresh state (as in training on windows of that length)",
        };
        var cmd = new Command("eval", "Perplexity of a text file under a checkpoint")
        {
            model, text, window, threads, fresh,
        };
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(text)!, p.GetValue(window), p.GetValue(threads),
            ctx.Out, ctx.Err, p.GetValue(fresh)));
        return cmd;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(string modelDir, string textPath, int window, int threads, TextWriter stdout,
        TextWriter stderr, bool freshWindows = false)
    {
        if (threads < 1 || window < 1) return Fail(stderr, "--threads and --window must be at least 1");
        int saved = Par.MaxThreads;
        try
        {
            Par.MaxThreads = threads;
            string text = File.ReadAllText(textPath, Encoding.UTF8);
            string tokPath = Path.Combine(modelDir, "tokenizer.json");
            bool hasTok = File.Exists(tokPath);
            int[] ids = hasTok ? BpeTokenizer.FromFile(tokPath).Encode(text)
                : [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
            var loaded = ModelLoader.Load(modelDir, new LoadOptions(KeepBFloat16: true));
            foreach (var w in loaded.Warnings) stderr.WriteLine($"ssm eval: warning: {w}");
            var r = freshWindows
                ? LmEvaluator.Evaluate(loaded.Model, new TokenCorpus(ids), window)
                : Perplexity.Evaluate(loaded.Model, ids, window);
            var ci = CultureInfo.InvariantCulture;
            stdout.WriteLine($"tokenizer  {(hasTok ? "tokenizer.json" : "bytes (no tokenizer.json)")}");
            string how = freshWindows ? string.Create(ci, $", fresh windows of {window}") : "";
            stdout.WriteLine(string.Create(ci, $"tokens     {ids.Length} ({r.Tokens} predicted{how})"));
            stdout.WriteLine(string.Create(ci, $"nll        {r.MeanNll:F4} nats/token"));
            stdout.WriteLine(string.Create(ci, $"perplexity {r.Perplexity:F4}"));
            stdout.WriteLine(string.Create(ci, $"tokens/s   {r.TokensPerSecond:F1}"));
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or NotSupportedException
                                      or UnauthorizedAccessException or ModelConfigReadException
                                      or CheckpointException or TokenizerFormatException or InvalidDataException
                                      or Ssm.Engine.IO.SafetensorsException)
        {
            return Fail(stderr, e.Message);
        }
        finally
        {
            Par.MaxThreads = saved;
        }
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"ssm eval: {message}");
        return 2;
    }
}
