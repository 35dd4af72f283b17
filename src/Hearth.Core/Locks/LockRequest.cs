namespace Hearth.Core.Locks;

/// <summary>A task's claim on a named cluster-wide lock: it becomes claimable only while it holds the lock.</summary>
/// <param name="Wait">How long it may queue before the run fails; null waits as long as it takes.</param>
/// <param name="NoWait">Refuse the run at once (nothing is created) when the lock is held or has a queue.</param>
public sealed record LockRequest(string Name, TimeSpan? Wait = null, bool NoWait = false);
