namespace Hearth.Store.Changes;

/// <summary>
/// Tells every server sharing the store that something changed (a run's lines, new work, a stop), so that long-polls,
/// log followers and reconcilers on any of them wake at once instead of polling. Keys are opaque to the feed.
/// </summary>
public interface IChangeFeed : IAsyncDisposable
{
    /// <summary>Announces <paramref name="key"/> to the other servers. Never blocks and never throws.</summary>
    void Publish(string key);

    /// <summary>
    /// Delivers the keys other servers publish until <paramref name="ct"/> is cancelled. <paramref name="resync"/> is
    /// called whenever deliveries may have been missed (a lost connection): every waiter should look again.
    /// </summary>
    Task ListenAsync(Action<string> changed, Action resync, CancellationToken ct);
}
