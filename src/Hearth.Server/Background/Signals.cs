using System.Collections.Concurrent;
using System.Collections.Immutable;
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
    private ImmutableArray<Watcher> _watchers = [];

    public Task Prepare(string key) =>
        _waiters
            .GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
            .Task;

    /// <summary>Wakes the waiters of <paramref name="key"/> here and on the other servers.</summary>
    public void Pulse(string key)
    {
        PulseHere(key);
        feed.Publish(key);
    }

    /// <summary>
    /// Wakes the waiters of <paramref name="key"/> on the other servers only (this one was woken otherwise).
    /// </summary>
    public void PulseElsewhere(string key) => feed.Publish(key);

    /// <summary>
    /// Wakes the waiters of <paramref name="key"/> on this server only: what another server announced.
    /// </summary>
    public void PulseHere(string key)
    {
        if (_waiters.TryRemove(key, out var waiter))
            waiter.TrySetResult();
        foreach (var watcher in _watchers)
        {
            if (key.StartsWith(watcher.Prefix, StringComparison.Ordinal))
                watcher.Changed(key);
        }
    }

    /// <summary>Wakes every waiter: announcements may have been missed, so everyone reads again.</summary>
    public void PulseAll()
    {
        foreach (var key in _waiters.Keys)
            PulseHere(key);
        foreach (var watcher in _watchers)
            watcher.Missed();
    }

    /// <summary>
    /// Hears every key starting with <paramref name="prefix"/> pulsed here or on another server, for a loop that
    /// watches a whole family of keys (every run's changes) rather than one; <paramref name="missed"/> is called when
    /// announcements may have been lost. Both are called on the pulsing thread: they must only note the key.
    /// </summary>
    public IDisposable Watch(string prefix, Action<string> changed, Action missed)
    {
        var watcher = new Watcher(prefix, changed, missed);
        ImmutableInterlocked.Update(ref _watchers, static (all, w) => all.Add(w), watcher);
        return new Unwatch(this, watcher);
    }

    private sealed record Watcher(string Prefix, Action<string> Changed, Action Missed);

    private sealed class Unwatch(Signals signals, Watcher watcher) : IDisposable
    {
        public void Dispose() =>
            ImmutableInterlocked.Update(ref signals._watchers, static (all, w) => all.Remove(w), watcher);
    }

    /// <summary>
    /// Waits for <paramref name="prepared"/> or the timeout, whichever comes first; never throws for the timeout.
    /// </summary>
    public static async Task WaitAsync(Task prepared, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, time, cts.Token);
        await Task.WhenAny(prepared, delay);
        await cts.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
