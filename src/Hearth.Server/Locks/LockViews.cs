using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

public sealed record LockWaiterView(int Position, string RunId, DateTimeOffset QueuedAt, DateTimeOffset? Deadline);

/// <summary>A lock as the API shows it: holder run, since when, the last token granted, and the queue in order.</summary>
public sealed record LockView(string Name, string? Holder, DateTimeOffset? Since, long Token, DateTimeOffset? LeaseExpiresAt, IReadOnlyList<LockWaiterView> Queue)
{
    public static LockView From(LockInfo info) => new(info.Name, info.HolderRun, info.Since, info.Token, info.LeaseExpiresAt,
        info.Queue.Select((w, i) => new LockWaiterView(i + 1, w.RunId, w.QueuedAt, w.Deadline)).ToList());
}

public sealed record LockListView(IReadOnlyList<LockView> Locks);

public sealed record ReleaseLockBody(bool Force);
