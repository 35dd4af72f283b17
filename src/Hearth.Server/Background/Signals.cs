using System.Collections.Concurrent;

namespace Hearth.Server.Background;

/// <summary>
/// Wakes waiters in this process when something they watch changed (new lines of a run, new work, a stop).
/// Take the waiter before reading the store, then await it: a pulse between the read and the await is not lost.
/// Other servers on the same database do not see these pulses; waiters time out and re-read instead.
/// </summary>
public sealed class Signals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public Task Prepare(string key) =>
        _waiters.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Pulse(string key)
    {
        if (_waiters.TryRemove(key, out var waiter)) waiter.TrySetResult();
    }

    /// <summary>Waits for <paramref name="prepared"/> or the timeout, whichever comes first; never throws for the timeout.</summary>
    public static async Task WaitAsync(Task prepared, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, time, cts.Token);
        await Task.WhenAny(prepared, delay);
        await cts.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
