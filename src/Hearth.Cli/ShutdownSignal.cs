using System.Runtime.InteropServices;

namespace Hearth.Cli;

/// <summary>
/// SIGINT or SIGTERM once: stop gracefully (<see cref="Drain"/>). Twice: stop now (<see cref="Hard"/>).
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _drain = new();
    private readonly CancellationTokenSource _hard = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private int _count;

    public ShutdownSignal()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Drain => _drain.Token;

    public CancellationToken Hard => _hard.Token;

    public void StopNow()
    {
        _drain.Cancel();
        _hard.Cancel();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            Console.Error.WriteLine("hearth: stopping (again to stop at once)");
            _drain.Cancel();
        }
        else
        {
            _hard.Cancel();
        }
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
    }
}
