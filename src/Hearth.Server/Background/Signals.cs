using System.Collections.Concurrent;
using Hearth.Store.Changes;

namespace Hearth.Server.Background;

/// <summary>
/// Wakes waiters when something they watch changed (new lines of a run, new work, a stop), on this server and, through
/// the store's change feed, on every server sharing the database. Take the waiter before reading the store, then await
/// it: a pulse between the read and the await is not lost.
/// </summary>
public sealed class Signals(IChangeFeed feed)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public Task Prepare(string key) =>
        _waiters.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes the waiters of <paramref name="key"/> here and on the other servers.</summary>
    public void Pulse(string key)
    {
        PulseHere(key);
        feed.Publish(key);
    }

    /// <summary>Wakes the waiters of <paramref name="key"/> on the other servers only (this one was woken otherwise).</summary>
    public void PulseElsewhere(string key) => feed.Publish(key);

    /// <summary>Wakes the waiters of <paramref name="key"/> on this server only: what another server announced.</summary>
    public void PulseHere(string key)
    {
        if (_waiters.TryRemove(key, out var waiter)) waiter.TrySetResult();
    }

    /// <summary>Wakes every waiter: announcements may have been missed, so everyone reads again.</summary>
    public void PulseAll()
    {
        foreach (var key in _waiters.Keys) PulseHere(key);
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
