namespace Hearth.Server.GitLab;

/// <summary>
/// Wakes the bridge's loops in this process: the reporter when a job was taken, the poller on demand.
/// </summary>
public sealed class GitLabSignals
{
    private readonly SemaphoreSlim _reporter = new(0);
    private readonly SemaphoreSlim _poller = new(0);

    private readonly object _seenLock = new();
    private readonly HashSet<long> _seen = [];
    private readonly Queue<long> _seenOrder = new();

    /// <summary>True the first time a job's hook event is seen (the last 10,000 are remembered): created and pending
    /// events of one job wake the poller once.</summary>
    public bool FirstHookFor(long jobId)
    {
        lock (_seenLock)
        {
            if (!_seen.Add(jobId))
                return false;
            _seenOrder.Enqueue(jobId);
            if (_seenOrder.Count > 10_000)
                _seen.Remove(_seenOrder.Dequeue());
            return true;
        }
    }

    public void WakeReporter()
    {
        if (_reporter.CurrentCount == 0)
            _reporter.Release();
    }

    public void WakePoller()
    {
        if (_poller.CurrentCount == 0)
            _poller.Release();
    }

    public Task<bool> ReporterWaitAsync(TimeSpan timeout, CancellationToken ct) => _reporter.WaitAsync(timeout, ct);

    public Task<bool> PollerWaitAsync(TimeSpan timeout, CancellationToken ct) => _poller.WaitAsync(timeout, ct);
}
