namespace Hearth.Store;

/// <summary>
/// Which server runs the background loops (lease rescue, timeouts, later cron). Leadership is advisory: the loops are
/// idempotent and fenced by row locks, so a short overlap while a lost leader notices is safe, only wasteful.
/// </summary>
public interface ILeaderLock
{
    /// <summary>The last known answer of <see cref="CheckAsync"/>.</summary>
    bool IsLeader { get; }

    /// <summary>Confirms leadership is still held, or tries to take it; call before each sweep.</summary>
    Task<bool> CheckAsync(CancellationToken ct);
}
