namespace Hearth.Agent;

/// <summary>
/// When the server hears that a task runs. During a short window after the grant it hears nothing: a task that ends
/// in it reports its start time and its lines with its result, so it costs a lease and a result. Once the window is
/// over (its timer, or lines that fill a chunk, or a result that cannot get through), a start already made is reported
/// at once and later ones as they happen, heartbeats begin and lines are shipped as they come.
/// </summary>
public sealed class RunningReport(Func<DateTimeOffset, Task> report)
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _windowOver = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _startedAt;
    private Task? _reported;

    /// <summary>When the command's sandbox started; null while it has not.</summary>
    public DateTimeOffset? StartedAt
    {
        get
        {
            lock (_gate)
                return _startedAt;
        }
    }

    /// <summary>Completes when the window is over: the heartbeat loop waits for it.</summary>
    public Task WindowOver => _windowOver.Task;

    public void EndWindow()
    {
        lock (_gate)
        {
            if (_windowOver.Task.IsCompleted)
                return;
            if (_startedAt is { } at)
                _reported = Task.Run(() => report(at));
            _windowOver.SetResult();
        }
    }

    /// <summary>
    /// The command's sandbox started: reported now when the window is over, else kept for later or for the result.
    /// </summary>
    public Task StartedAsync(DateTimeOffset at)
    {
        lock (_gate)
        {
            _startedAt = at;
            return _windowOver.Task.IsCompleted ? _reported = report(at) : Task.CompletedTask;
        }
    }

    /// <summary>
    /// Lines may ship: the window is over and a start made in it has been reported (or the report gave up).
    /// </summary>
    public async Task ShipReadyAsync()
    {
        await _windowOver.Task;
        Task? reported;
        lock (_gate)
            reported = _reported;
        if (reported is not null)
            await reported;
    }
}
