namespace Hearth.Store.Locks;

/// <summary>
/// Cluster-wide named locks, in the run store's database. Taking, queueing and releasing happen inside the run store's
/// own transactions (a run that ends frees its lock in the same commit); this is the rest: status, forced release
/// and the sweep that renews, expires, grants and gives up.
/// </summary>
public interface ILockStore : IMigratingStore
{
    Task<IReadOnlyList<LockInfo>> ListAsync(CancellationToken ct);

    Task<LockInfo?> GetAsync(string name, CancellationToken ct);

    /// <summary>
    /// Frees the lock whoever holds it and grants it to the next in line; returns the lock as it was, or null when
    /// unknown.
    /// </summary>
    Task<LockInfo?> ForceReleaseAsync(string name, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Renews the leases of locks whose holder still lives, frees those whose lease ran out, grants free locks to the
    /// head of their queue, and fails waiters past their deadline.
    /// </summary>
    Task<LockSweep> SweepAsync(DateTimeOffset now, TimeSpan leaseTtl, CancellationToken ct);

    /// <summary>The fencing tokens of the locks a task holds, by lock name.</summary>
    Task<IReadOnlyDictionary<string, long>> TokensOfAsync(string taskId, CancellationToken ct);
}
