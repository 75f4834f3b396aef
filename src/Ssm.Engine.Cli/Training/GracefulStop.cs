using System.Runtime.InteropServices;

namespace Ssm.Engine.Cli.Training;

/// <summary>A stop request for a training loop: cancelled after an optional time limit, or by SIGINT (Ctrl-C) or
/// SIGTERM, which it intercepts so the run ends after the update in progress and writes its checkpoint instead of
/// dying mid-step. A second signal is not intercepted (the process ends as usual).</summary>
public sealed class GracefulStop : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration[] _signals;

    private GracefulStop(CancellationTokenSource source)
    {
        _source = source;
        _signals = [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM)];
    }

    /// <summary>A stop that fires after <paramref name="minutes"/> (none: only on a signal).</summary>
    public static GracefulStop Create(double? minutes)
    {
        if (minutes is { } m && !(m > 0)) throw new ArgumentException($"--time-limit {m} must be a positive number of minutes");
        return new GracefulStop(minutes is { } t ? new CancellationTokenSource(TimeSpan.FromMinutes(t)) : new());
    }

    /// <summary>Cancelled when the run should stop.</summary>
    public CancellationToken Token => _source.Token;

    private PosixSignalRegistration Register(PosixSignal signal) => PosixSignalRegistration.Create(signal, c =>
    {
        if (_source.IsCancellationRequested) return;    // second signal: default handling ends the process
        c.Cancel = true;
        Console.Error.WriteLine($"{signal}: stopping after the current update (checkpoint follows)");
        _source.Cancel();
    });

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var s in _signals) s.Dispose();
        _source.Dispose();
    }
}
