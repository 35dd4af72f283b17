namespace Hearth.Store.Locks;

/// <summary>A run (its task) queued for a lock, first in first out by <see cref="Ticket"/>.</summary>
public sealed record LockWaiter(
    long Ticket,
    string RunId,
    string TaskId,
    DateTimeOffset QueuedAt,
    DateTimeOffset? Deadline
);

/// <summary>A lock as status shows it: its holder (if any), the last token granted, and its queue in order.</summary>
public sealed record LockInfo(
    string Name,
    long Token,
    string? HolderRun,
    string? HolderTask,
    DateTimeOffset? Since,
    DateTimeOffset? LeaseExpiresAt,
    IReadOnlyList<LockWaiter> Queue
);

/// <summary>What a sweep did: runs it granted a lock to, failed, or whose lock it freed.</summary>
public sealed record LockSweep(
    IReadOnlyList<string> GrantedRuns,
    IReadOnlyList<string> FailedRuns,
    IReadOnlyList<string> FreedLocks
);

/// <summary>A run asked not to wait for a lock that is held (or has a queue); nothing was stored.</summary>
public sealed class LockBusyException(string name, string? holderRun)
    : Exception(
        holderRun is null
            ? $"lock {name} is free but has runs queued for it"
            : $"lock {name} is held by run {holderRun}"
    )
{
    public string Name { get; } = name;
    public string? HolderRun { get; } = holderRun;
}
