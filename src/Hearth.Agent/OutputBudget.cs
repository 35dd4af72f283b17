namespace Hearth.Agent;

/// <summary>
/// Bounds the text a task's lines hold while they wait to be shipped, so a command printing huge lines slows down
/// (its pipe fills) instead of growing the agent. One writer at a time takes; the shipper gives back.
/// </summary>
public sealed class OutputBudget(long capacity)
{
    private readonly Lock _gate = new();
    private long _used;
    private bool _open;
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask TakeAsync(long size, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                // A line larger than the whole budget still passes when nothing else is held.
                if (_open || _used == 0 || _used + size <= capacity)
                {
                    _used += size;
                    return;
                }
                freed = _freed.Task;
            }
            await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Bytes held now.</summary>
    public long Used
    {
        get
        {
            lock (_gate)
                return _used;
        }
    }

    /// <summary>No bound from now on (the lines are being dropped anyway): wakes a writer that waits.</summary>
    public void Open()
    {
        lock (_gate)
            _open = true;
        Give(0);
    }

    public void Give(long size)
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            _used = Math.Max(0, _used - size);
            freed = _freed;
            _freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        freed.TrySetResult();
    }
}
