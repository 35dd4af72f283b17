namespace Hearth.Sandbox.Running;

/// <summary>
/// Runs every process start on one long-lived thread. bwrap's --die-with-parent uses PR_SET_PDEATHSIG, which the
/// kernel fires when the <em>thread</em> that forked the sandbox exits, not the process: a start made from a
/// thread-pool thread would kill the sandbox whenever the pool retires that thread. This thread never exits
/// while the agent lives, so the sandbox dies with the agent and only then.
/// </summary>
/// <remarks>
/// The thread sleeps on a monitor rather than a BlockingCollection: the latter spins (sched_yield) before it blocks,
/// which was 7% of an agent's CPU when eight agents shared two cores.
/// </remarks>
internal sealed class SpawnerThread
{
    private readonly Queue<Action> _work = new();
    private readonly object _gate = new();
    private Thread? _thread;

    public Task<T> RunAsync<T>(Func<T> start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Not cancellable once queued: a started process must always reach its caller.
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "hearth-sandbox-spawner" };
                _thread.Start();
            }
            _work.Enqueue(() =>
            {
                try
                {
                    result.SetResult(start());
                }
                catch (Exception e)
                {
                    result.SetException(e);
                }
            });
            Monitor.Pulse(_gate);
        }
        return result.Task;
    }

    private void Loop()
    {
        while (true)
        {
            Action item;
            lock (_gate)
            {
                while (_work.Count == 0)
                {
                    Monitor.Wait(_gate);
                }
                item = _work.Dequeue();
            }
            item();
        }
    }
}
