using System.Collections.Concurrent;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Runs every process start on one long-lived thread. bwrap's --die-with-parent uses PR_SET_PDEATHSIG, which the
/// kernel fires when the <em>thread</em> that forked the sandbox exits, not the process: a start made from a
/// thread-pool thread would kill the sandbox whenever the pool retires that thread. This thread never exits
/// while the agent lives, so the sandbox dies with the agent and only then.
/// </summary>
internal sealed class SpawnerThread
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Lazy<Thread> _thread;

    public SpawnerThread()
    {
        _thread = new Lazy<Thread>(() =>
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "hearth-sandbox-spawner" };
            thread.Start();
            return thread;
        });
    }

    public Task<T> RunAsync<T>(Func<T> start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = _thread.Value;
        // Not cancellable once queued: a started process must always reach its caller.
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
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
        return result.Task;
    }

    private void Loop()
    {
        foreach (var item in _work.GetConsumingEnumerable())
        {
            item();
        }
    }
}
