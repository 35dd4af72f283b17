using Hearth.Core.Runs;
using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// The stop switch of one task, shared by the heartbeat loop and the runner. A stop asked before the sandbox
/// exists is applied as soon as it is attached.
/// </summary>
public sealed class TaskControl
{
    private readonly Lock _gate = new();
    private ISandbox? _sandbox;
    private TimeSpan _grace;
    private StopSignal _signal = StopSignal.Terminate;
    private bool _stopRequested;

    private readonly CancellationTokenSource _lost = new();

    public StopReason StopReason { get; private set; }

    /// <summary>Cancelled once the lease is known to be lost.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool Stale { get; private set; }

    /// <summary>A stop was asked (kill, timeout, agent shutdown) or the lease was lost.</summary>
    public bool StopRequested
    {
        get
        {
            lock (_gate)
                return _stopRequested;
        }
    }

    /// <summary>
    /// Set once the sandbox has exited and the result is known (it may still be on its way to the server).
    /// </summary>
    public bool Finished { get; private set; }

    public void MarkFinished() => Finished = true;

    /// <summary>When the sandbox exited (startup breakdown); null while it runs or when it never started.</summary>
    public DateTimeOffset? ExitedAt { get; set; }

    /// <param name="signal">What asks the sandbox to stop before <paramref name="grace"/> runs out (a service's
    /// stop_signal).</param>
    public void Attach(ISandbox sandbox, TimeSpan grace, StopSignal signal = StopSignal.Terminate)
    {
        bool stopNow;
        lock (_gate)
        {
            (_sandbox, _grace, _signal) = (sandbox, grace, signal);
            stopNow = _stopRequested;
        }
        if (stopNow)
            _ = sandbox.StopAsync(signal, Stale ? TimeSpan.Zero : grace, CancellationToken.None);
    }

    public void RequestStop(StopReason reason, string why)
    {
        ISandbox? sandbox;
        lock (_gate)
        {
            if (reason != StopReason.None)
                StopReason = reason;
            _stopRequested = true;
            sandbox = _sandbox;
        }
        sandbox?.StopAsync(_signal, _grace, CancellationToken.None);
    }

    /// <summary>
    /// This agent cannot finish the attempt (a sandbox an earlier agent left could not be recovered): nothing is
    /// reported, so the lease runs out and the server retries the task as it does for a lost agent.
    /// </summary>
    public void Abandon() => MarkStale();

    /// <summary>Someone else owns the task now: kill at once, no grace.</summary>
    public void MarkStale()
    {
        ISandbox? sandbox;
        lock (_gate)
        {
            Stale = true;
            _stopRequested = true;
            sandbox = _sandbox;
        }
        _lost.Cancel();
        sandbox?.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
    }
}
