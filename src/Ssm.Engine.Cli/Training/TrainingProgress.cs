using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Ssm.Engine.Cli.Training;

/// <summary>Receives one report per optimiser step from the training loop.</summary>
public interface ITrainingProgress
{
    /// <summary>Step <paramref name="step"/> (1-based count of completed updates) finished with
    /// <paramref name="loss"/> at <paramref name="tokensPerSecond"/>.</summary>
    void Report(long step, double loss, double tokensPerSecond);

    /// <summary>Prints a message without breaking the progress display (evaluations, checkpoints).</summary>
    void Log(string message);
}

/// <summary>Live training progress: a Spectre.Console bar (step, loss, tokens/s, ETA) on an interactive
/// terminal, plain lines on stderr when output is redirected (CI logs, files).</summary>
public static class TrainingProgress
{
    /// <summary>Runs <paramref name="body"/> with a reporter for steps (<paramref name="startStep"/>,
    /// <paramref name="totalSteps"/>]. <paramref name="interactive"/> forces the mode (default: a bar when
    /// stdout is a terminal that supports it); plain lines go to <paramref name="plain"/> (default stderr)
    /// every <paramref name="plainEvery"/> steps, at the first and at the last step. <paramref name="unit"/> names
    /// the throughput (<c>tok/s</c>, <c>img/s</c>).</summary>
    public static void Run(long totalSteps, long startStep, Action<ITrainingProgress> body, bool? interactive = null,
        TextWriter? plain = null, int plainEvery = 10, string unit = "tok/s")
    {
        if (totalSteps < 1 || startStep < 0 || startStep > totalSteps)
            throw new ArgumentException(
                $"[progress] need 0 <= start ({startStep}) <= total ({totalSteps}), total >= 1");
        bool bar = interactive ?? (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        if (!bar)
        {
            body(new PlainProgress(plain ?? Console.Error, totalSteps, startStep, Math.Max(1, plainEvery), unit));
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: totalSteps);
                task.Value = startStep;
                body(new BarProgress(task, unit));
            });
    }

    /// <summary>One status line: <c>step 120/1000  loss 2.3456  12,345 tok/s  eta 0:03:12</c>.</summary>
    internal static string Line(long step, long total, double loss, double tokensPerSecond, TimeSpan? eta,
        string unit = "tok/s") =>
        string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{total}  loss {loss:F4}  {tokensPerSecond:N0} {unit}  eta {FormatEta(eta)}");

    internal static string FormatEta(TimeSpan? eta) =>
        eta is { } t ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : "?";

    private sealed class BarProgress(ProgressTask task, string unit) : ITrainingProgress
    {
        public void Report(long step, double loss, double tokensPerSecond)
        {
            task.Value = step;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"step {step}/{(long)task.MaxValue}  loss {loss:F4}  {tokensPerSecond:N0} {unit}"));
        }

        public void Log(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));
    }

    private sealed class PlainProgress(TextWriter w, long total, long start, int every, string unit)
        : ITrainingProgress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private bool _first = true;

        public void Report(long step, double loss, double tokensPerSecond)
        {
            bool print = _first || step == total || step % every == 0;
            _first = false;
            if (!print) return;
            long done = step - start;
            TimeSpan? eta = done > 0
                ? TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / done * (total - step))
                : null;
            w.WriteLine(Line(step, total, loss, tokensPerSecond, eta, unit));
            w.Flush();
        }

        public void Log(string message)
        {
            w.WriteLine(message);
            w.Flush();
        }
    }
}
