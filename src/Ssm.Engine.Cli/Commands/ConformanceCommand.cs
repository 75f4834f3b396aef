using System.CommandLine;
using Ssm.Engine.Conformance.Runner;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm conformance DIR [--device D] [--filter GLOB]... [--strict] [--json FILE]</c>: runs every
/// golden case under DIR (see <see cref="ConformanceRunner"/>).</summary>
internal static class ConformanceCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("DIR") { Description = "Golden set root or any subdirectory of a set" };
        var device = new Option<string>("--device")
        {
            Description = "cpu (default), ilgpu-cpu, ilgpu-cpu-warp32, cuda[:i], opencl[:i]",
            HelpName = "D",
            DefaultValueFactory = _ => "cpu",
        };
        var filter = new Option<string[]>("--filter")
        {
            HelpName = "GLOB",
            Description = "Case-id glob (repeatable; a case runs when any matches). '*' matches any characters, "
                          + "'/' and '#' included; '?' one character. E.g. 'ssd/*', 'selective_scan*/*', 'model/*'",
        };
        var strict = new Option<bool>("--strict") { Description = "Count skipped cases as failures" };
        var json = new Option<string?>("--json")
        {
            Description = "Also write a JSON report (atomically)",
            HelpName = "FILE",
        };
        var cmd = new Command("conformance", "Check the engine against a golden reference set")
        {
            dir, device, filter, strict, json,
        };
        cmd.SetAction(parse =>
        {
            DeviceSpec spec;
            try
            {
                spec = DeviceSpec.Parse(parse.GetValue(device) ?? "cpu");
            }
            catch (ArgumentException e)
            {
                ctx.Err.WriteLine($"conformance: error: {CliText.Message(e)}");
                return 2;
            }
            var options = new ConformanceOptions(parse.GetValue(dir)!, spec, parse.GetValue(filter) ?? [],
                parse.GetValue(strict), parse.GetValue(json));
            return new ConformanceRunner(ctx.Services.Conformance).Run(options, ctx.Out, ctx.Err);
        });
        return cmd;
    }
}
