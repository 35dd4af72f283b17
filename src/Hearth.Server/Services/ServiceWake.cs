namespace Hearth.Server.Services;

/// <summary>
/// A wake-up that is never lost: <see cref="Set"/> before or during a wait ends it (the next wait after a set returns
/// at once), several sets before a wait count as one.
/// </summary>
public sealed class ServiceWake
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set()
    {
        lock (_gate)
            _next.TrySetResult();
    }

    /// <summary>Waits for a <see cref="Set"/> (since the last wait ended) or <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        Task woken;
        lock (_gate)
            woken = _next.Task;
        await Background.Signals.WaitAsync(woken, timeout, time, ct);
        lock (_gate)
        {
            if (_next.Task.IsCompleted)
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
