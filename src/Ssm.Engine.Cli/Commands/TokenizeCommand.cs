using System.CommandLine;
using System.Globalization;
using System.Text;
using Ssm.Engine.Models.Text;

namespace Ssm.Engine.Cli.Commands;

/// <summary>
/// <c>ssm tokenize --tokenizer FILE --text TEXT</c>: encodes TEXT with a HuggingFace <c>tokenizer.json</c>.
/// Output: the ids comma-separated on the first line, then one line per token, <c>id&lt;TAB&gt;token</c>.
/// The token is shown as readable text (its byte-level characters mapped back to bytes and decoded as UTF-8, so
/// <c>Ġworld</c> prints as " world"), with control characters and line breaks escaped (<c>\n</c>, <c>\t</c>,
/// <c>\u0085</c>, ...) so every token stays on one line. A token whose bytes are not valid UTF-8 on their own
/// (part of a multi-byte character) is shown as its raw vocabulary string instead (e.g. <c>âĢ</c>).
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "Path of a HuggingFace tokenizer.json (byte-level BPE)",
            Required = true,
        };
        var text = new Option<string>("--text") { Description = "Text to encode", Required = true };
        var cmd = new Command("tokenize", "Encode text with a tokenizer.json and print the ids and tokens");
        cmd.Options.Add(tokenizer);
        cmd.Options.Add(text);
        cmd.SetAction(parse => Run(parse.GetValue(tokenizer)!, parse.GetValue(text)!, Console.Out, Console.Error));
        return cmd;
    }

    /// <summary>Runs the command; returns the exit code (1 when the tokenizer cannot be loaded).</summary>
    internal static int Run(string tokenizerPath, string text, TextWriter stdout, TextWriter stderr)
    {
        BpeTokenizer tok;
        try { tok = BpeTokenizer.FromFile(tokenizerPath); }
        catch (TokenizerFormatException e)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
        int[] ids = tok.Encode(text);
        stdout.WriteLine(string.Join(",", ids));
        foreach (int id in ids) stdout.WriteLine($"{id}\t{Display(tok, id)}");
        return 0;
    }

    /// <summary>The one-line display form of a token (see the class remarks).</summary>
    internal static string Display(BpeTokenizer tok, int id)
    {
        string token = tok.IdToToken(id) ?? "";
        string readable = ByteLevel.Readable(token);
        var sb = new StringBuilder(readable.Length);
        foreach (Rune r in readable.EnumerateRunes())
        {
            switch (r.Value)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    var cat = Rune.GetUnicodeCategory(r);
                    if (cat is UnicodeCategory.Control or UnicodeCategory.LineSeparator
                        or UnicodeCategory.ParagraphSeparator)
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{r.Value:X4}");
                    else sb.Append(r.ToString());
                    break;
            }
        }
        return sb.ToString();
    }
}
