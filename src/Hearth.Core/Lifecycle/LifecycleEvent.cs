using Hearth.Core.Runs;

namespace Hearth.Core.Lifecycle;

/// <summary>What happened to a run or one of its tasks that calls for decisions.</summary>
public abstract record LifecycleEvent(DateTimeOffset Now);

/// <summary>
/// An agent reported how its attempt ended. <paramref name="StartedAt"/>: the task was never reported running.
/// </summary>
public sealed record TaskReported(string TaskId, TaskResult Result, DateTimeOffset? StartedAt, DateTimeOffset Now)
    : LifecycleEvent(Now);

/// <summary>The agent holding the task stopped renewing its lease: it is taken for lost.</summary>
public sealed record LeaseExpired(string TaskId, DateTimeOffset Now) : LifecycleEvent(Now);

/// <summary>
/// No live agent could take a pending task for the configured time (placement): it fails with the reason.
/// </summary>
public sealed record TaskUnplaceable(string TaskId, string Reason, DateTimeOffset Now) : LifecycleEvent(Now);

/// <summary>Someone (or the timeout) asked the run to stop.</summary>
/// <param name="By">Who asked (a user's name); null when Hearth itself did (a timeout).</param>
public sealed record StopRequested(StopReason Reason, string? By, DateTimeOffset Now) : LifecycleEvent(Now);

/// <summary>
/// Nothing new happened: bring the run in line with its tasks (a workflow's reconciler, after a crash).
/// </summary>
public sealed record Reconcile(DateTimeOffset Now) : LifecycleEvent(Now);
