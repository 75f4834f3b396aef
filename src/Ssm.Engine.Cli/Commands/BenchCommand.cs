using System.CommandLine;
using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Cli.Commands;

/// <summary><c>ssm bench KERNEL [--shape K=V,...] [--device D] [--threads T] [--repeat R] [--json FILE]</c>:
/// validates a kernel against its Reference, then times it (see <see cref="BenchRunner"/>);
/// <c>ssm bench decode|prefill --model DIR|PRESET [--dtype f32|bf16]</c> times a model (<see cref="ModelBench"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var kernel = new Argument<string>("KERNEL") { Description = "Kernel name (see 'ssm info')" };
        var shape = new Option<string?>("--shape") {
            Description = "Shape overrides, e.g. B=1,D=1536,L=2048,N=16",
            HelpName = "K=V,...",
        };
        var device = new Option<string>("--device") {
            Description = "cpu (default)",
            DefaultValueFactory = _ => "cpu",
            HelpName = "D",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Threads the kernel may use",
            HelpName = "T",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var repeat = new Option<int>("--repeat") {
            Description = "Timed rounds",
            DefaultValueFactory = _ => 5,
            HelpName = "R",
        };
        var json = new Option<string?>("--json")
        {
            Description = "Also write a JSON record (atomically)",
            HelpName = "FILE",
        };
        var model = new Option<string?>("--model")
        {
            Description = "decode/prefill: checkpoint directory or preset (mamba-130m, mamba2-130m)",
            HelpName = "DIR|PRESET",
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "decode/prefill: weight dtype f32 or bf16",
            DefaultValueFactory = _ => "f32",
            HelpName = "f32|bf16",
        };
        var cmd = new Command("bench", "Time one kernel after validating it against its reference, or a model's "
            + "decode/prefill throughput (KERNEL decode|prefill with --model)")
        {
            kernel, shape, device, threads, repeat, json, model, dtype,
        };
        cmd.SetAction(parse =>
        {
            Dictionary<string, int> overrides;
            DeviceSpec spec;
            try
            {
                overrides = BenchRunner.ParseShape(parse.GetValue(shape));
                spec = DeviceSpec.Parse(parse.GetValue(device) ?? "cpu");
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                ctx.Err.WriteLine($"bench: {CliText.Message(e)}");
                return 2;
            }
            string name = parse.GetValue(kernel)!;
            if (ModelBench.Modes.Contains(name))
            {
                if (parse.GetValue(model) is not { } m)
                {
                    ctx.Err.WriteLine($"bench: {name} needs --model DIR|mamba-130m|mamba2-130m");
                    return 2;
                }
                int len = overrides.GetValueOrDefault("L", name == "decode" ? 8 : 2048);
                return ModelBench.Run(new ModelBenchRequest(name, m, parse.GetValue(dtype) ?? "f32",
                    parse.GetValue(threads), parse.GetValue(repeat), len, parse.GetValue(json)), ctx.Out, ctx.Err);
            }
            var req = new BenchRequest(parse.GetValue(kernel)!, overrides, spec, parse.GetValue(threads),
                parse.GetValue(repeat), parse.GetValue(json));
            var s = ctx.Services;
            return new BenchRunner(s.Benches, s.WarmUp, s.RoundTarget).Run(req, ctx.Out, ctx.Err);
        });
        return cmd;
    }
}
