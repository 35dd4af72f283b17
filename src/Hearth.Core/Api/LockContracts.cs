namespace Hearth.Core.Api;

public sealed record LockWaiterView(int Position, string RunId, DateTimeOffset QueuedAt, DateTimeOffset? Deadline);

/// <summary>
/// A lock as the API shows it: holder run, since when, the last token granted, and the queue in order.
/// </summary>
public sealed record LockView(
    string Name,
    string? Holder,
    DateTimeOffset? Since,
    long Token,
    DateTimeOffset? LeaseExpiresAt,
    IReadOnlyList<LockWaiterView> Queue
);

public sealed record LockListView(IReadOnlyList<LockView> Locks);

public sealed record ReleaseLockBody(bool Force);

/// <summary>POST /api/v1/locks/{name}/release: the lock before and after the forced release.</summary>
public sealed record ReleasedLockView(LockView Released, LockView Now);

/// <summary>The details of a 409 LOCK_BUSY.</summary>
public sealed record LockBusyDetails(string Lock, string? Holder);
