namespace Hearth.Agent;

/// <summary>
/// How many of the agent's slots are free. The lease loop waits for one to be free, asks for as many tasks as are free,
/// and takes a slot for each task granted; a slot is given back when its task (and those that followed it) ended.
/// </summary>
public sealed class Slots(int capacity)
{
    private readonly object _gate = new();
    private int _free = capacity;
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Free
    {
        get
        {
            lock (_gate)
                return _free;
        }
    }

    /// <summary>The number of free slots, once there is at least one.</summary>
    public async Task<int> WaitFreeAsync(CancellationToken ct)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (_free > 0)
                    return _free;
                freed = _freed.Task;
            }
            await freed.WaitAsync(ct);
        }
    }

    /// <summary>
    /// A slot for a granted task (below zero if the server granted more than asked: a granted task never waits).
    /// </summary>
    public void Take()
    {
        lock (_gate)
            _free--;
    }

    public void Release()
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            _free++;
            freed = _freed;
            _freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        freed.TrySetResult();
    }
}
