using Hearth.Core.Runs;

namespace Hearth.Core.Lifecycle;

/// <summary>What the store does to a task's lock along with a change of the task's state.</summary>
public enum LockStep
{
    None,

    /// <summary>The task ended: it frees the lock it held or leaves the lock's queue.</summary>
    Release,

    /// <summary>The task goes back to the queue for another attempt: same hold, new fencing token.</summary>
    Refence,

    /// <summary>The task would become Pending: it takes its lock first, or queues for it and stays Waiting.</summary>
    Take,
}

/// <summary>
/// One task's move. <see cref="From"/> is the state the decision saw; the store checks it and the transition table.
/// A change with <c>From == To</c> changes no state (e.g. marks a running task to stop).
/// </summary>
public sealed record TaskChange(string TaskId, TaskState From, TaskState To)
{
    /// <summary>The task's reason after the change (written unless <see cref="KeepReason"/>).</summary>
    public string? Reason { get; init; }
    public bool KeepReason { get; init; }
    public int? ExitCode { get; init; }

    /// <summary>When it started, for a task never reported running (kept if already set).</summary>
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Back to the queue as its next attempt: attempt+1, no agent, no lease, no start, no exit code.</summary>
    public bool NextAttempt { get; init; }

    /// <summary>A retried task is not claimable before this.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The task's attempts so far, when this change adds one.</summary>
    public IReadOnlyList<AttemptRecord>? History { get; init; }

    /// <summary>Asks the agent running the task to stop, and why.</summary>
    public StopReason? Stop { get; init; }
    public LockStep Lock { get; init; }
}

/// <summary>The run's move; <c>From == To</c> changes only the fields set.</summary>
public sealed record RunChange(RunState From, RunState To)
{
    public string? Reason { get; init; }
    public bool KeepReason { get; init; }
    public int? ExitCode { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public StopReason? Stop { get; init; }
}

/// <summary>
/// A line of Hearth's own for the run's log (about one task, or the whole run when <see cref="TaskId"/> is null).
/// </summary>
public sealed record SystemLine(string? TaskId, int Attempt, string Text);

/// <summary>The transitions one decision makes; the store applies them all in one transaction, in this order.</summary>
public sealed record LifecyclePlan(IReadOnlyList<TaskChange> Tasks, RunChange? Run, IReadOnlyList<SystemLine> Lines)
{
    public static LifecyclePlan Empty { get; } = new([], null, []);

    public bool IsEmpty => Tasks.Count == 0 && Run is null && Lines.Count == 0;

    /// <summary>Whether applying it frees a lock (which a queued task may now take).</summary>
    public bool ReleasesLock => Tasks.Any(t => t.Lock == LockStep.Release);
}
