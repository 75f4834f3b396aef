using System.CommandLine;
using Ssm.Engine.Cli.Training;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Training;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm eval-task DIR [--lengths 256,4096,...] [--sequences N] [--batch B]</c>: loads a run directory
/// written by <c>ssm train</c> and prints the task's token and sequence accuracy at each length, evaluated in
/// the recurrent step mode (memory O(state)). Exit codes: 0 done, 2 usage or I/O error.</summary>
internal static class EvalTaskCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("dir") { Description = "Run directory" };
        var lengths = new Option<string?>("--lengths") { Description = "Comma-separated lengths (default: training)" };
        var seqs = new Option<int>("--sequences")
        {
            Description = "Sequences per length", DefaultValueFactory = _ => 64,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Sequences stepped together", DefaultValueFactory = _ => 64,
        };
        var cmd = new Command("eval-task", "Evaluate a synthetic-task run at several sequence lengths");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { lengths, seqs, batch }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            try
            {
                string d = p.GetValue(dir)!;
                var options = TaskRunOptions.Load(d);
                int[] ls = p.GetValue(lengths) is { } text ? TaskRunner.ParseLengths(text) : [options.TrainLength];
                var rows = TaskRunner.Evaluate(d, ls, p.GetValue(seqs), p.GetValue(batch), ctx.Err);
                TaskRunner.WriteTable(ctx.Out, options, rows);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException
                                          or InvalidDataException or ModelConfigReadException
                                          or CheckpointException or System.Text.Json.JsonException)
            {
                ctx.Err.WriteLine($"ssm eval-task: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
