namespace Hearth.Server.GitLab;

/// <summary>Wakes the bridge's loops in this process: the reporter when a job was taken, the poller on demand.</summary>
public sealed class GitLabSignals
{
    private readonly SemaphoreSlim _reporter = new(0);
    private readonly SemaphoreSlim _poller = new(0);

    public void WakeReporter()
    {
        if (_reporter.CurrentCount == 0) _reporter.Release();
    }

    public void WakePoller()
    {
        if (_poller.CurrentCount == 0) _poller.Release();
    }

    public Task<bool> ReporterWaitAsync(TimeSpan timeout, CancellationToken ct) => _reporter.WaitAsync(timeout, ct);

    public Task<bool> PollerWaitAsync(TimeSpan timeout, CancellationToken ct) => _poller.WaitAsync(timeout, ct);
}
