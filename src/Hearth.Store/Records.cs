using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Store;

/// <param name="InitialState">Pending for work that may start at once; Waiting or Skipped for workflow steps.</param>
public sealed record NewTask(
    string Id,
    string Name,
    TaskSpec Spec,
    int MaxAttempts,
    TaskState InitialState = TaskState.Pending,
    string? InitialReason = null
)
{
    /// <summary>What the task is; its run's lifecycle applies this kind's rules.</summary>
    public TaskKind Kind { get; init; } = TaskKind.Command;
}

/// <summary>A workflow scheduler's decision about one task (Waiting to Pending or Skipped).</summary>
public sealed record TaskTransition(string TaskId, TaskState To, string? Reason);

/// <param name="Kind">Only runs of this kind (null: all).</param>
/// <param name="CreatedBy">Only runs this user started (null: everyone's).</param>
/// <param name="Offset">Newest runs skipped first (paging; applies with a limit).</param>
public sealed record RunQuery(
    IReadOnlyCollection<RunState>? States = null,
    int Limit = 20,
    string? Kind = null,
    string? CreatedBy = null,
    int Offset = 0
);

public sealed record ClaimRequest(
    string AgentId,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset Now,
    TimeSpan LeaseTtl
);

/// <summary>A task granted to an agent: what to run and the epoch every later write must carry.</summary>
public sealed record Lease(
    string TaskId,
    string RunId,
    long Epoch,
    int Attempt,
    TaskSpec Spec,
    DateTimeOffset ExpiresAt
)
{
    /// <summary>What the task is (the agent protocol hands it to the agent).</summary>
    public TaskKind Kind { get; init; } = TaskKind.Command;
}

public enum WriteStatus
{
    Accepted,

    /// <summary>The epoch is not the current one: another attempt owns the task now.</summary>
    Stale,
    NotFound,
}

/// <param name="FreedLock">A completion that made work claimable: it freed a lock (which may now be granted to a queued
/// run), requeued its task or queued the next steps of its workflow.</param>
/// <param name="LogGapAt">Set when a completion's lines start past the task's log: the offset expected; nothing was
/// written.</param>
public sealed record WriteResult(WriteStatus Status, bool FreedLock = false, long? LogGapAt = null)
{
    /// <summary>The run of the task written (set when the write was accepted).</summary>
    public string? RunId { get; init; }

    public static WriteResult Accepted { get; } = new(WriteStatus.Accepted);
    public static WriteResult AcceptedFreeingLock { get; } = new(WriteStatus.Accepted, FreedLock: true);
    public static WriteResult Stale { get; } = new(WriteStatus.Stale);
    public static WriteResult NotFound { get; } = new(WriteStatus.NotFound);
}

/// <summary>
/// How an attempt ended, as its agent reports it. <paramref name="StartedAt"/> marks a task still LEASED as RUNNING
/// first (a short task whose agent never reported it running); <paramref name="Lines"/> are its last lines, numbered
/// from <paramref name="LogOffset"/> within the attempt as in <see cref="IRunStore.AppendLogsAsync"/>.
/// </summary>
public sealed record Completion(
    TaskResult Result,
    DateTimeOffset? StartedAt = null,
    long LogOffset = 0,
    IReadOnlyList<AgentLogLine>? Lines = null
)
{
    /// <summary>When the attempt's command wrote its first line, if it wrote any (startup breakdown).</summary>
    public DateTimeOffset? FirstOutputAt { get; init; }

    /// <summary>When the attempt's sandbox exited (startup breakdown).</summary>
    public DateTimeOffset? ExitedAt { get; init; }
}

/// <param name="Ended">The epoch is the current one but the task has ended (its result was accepted, or it was stopped
/// before it ran): nothing to renew, and no stale write either.</param>
public sealed record HeartbeatResult(
    WriteStatus Status,
    StopReason Stop = StopReason.None,
    DateTimeOffset? ExpiresAt = null,
    bool Ended = false
);

public sealed record AppendResult(WriteStatus Status, long NextOffset = 0, bool Gap = false)
{
    /// <summary>The run of the task written (set when the write was accepted).</summary>
    public string? RunId { get; init; }
}

public sealed record AgentRegistration(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    int Capacity,
    string Version,
    IReadOnlyList<Hearth.Core.Api.AgentDriverView>? Drivers = null
);

/// <param name="Drivers">What each of its drivers can do, as advertised at registration (empty for agents older than
/// that).</param>
public sealed record AgentRecord(
    string Id,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    int Capacity,
    string Version,
    DateTimeOffset RegisteredAt,
    DateTimeOffset LastSeenAt,
    IReadOnlyList<Hearth.Core.Api.AgentDriverView>? Drivers = null
)
{
    public IReadOnlyList<Hearth.Core.Api.AgentDriverView> DriverList => Drivers ?? [];

    /// <summary>When the agent asked to take no more work; null while it takes work.</summary>
    public DateTimeOffset? DrainingSince { get; init; }
}

/// <summary>A pending task as placement sees it: what it needs and since when it has waited.</summary>
public sealed record PendingTask(string Id, string RunId, string Name, TaskSpec Spec, DateTimeOffset QueuedAt);

/// <summary>An image registered with the defaults a run in it gets; at most one is the default image.</summary>
public sealed record RegisteredImage(
    string Reference,
    double? Cpus,
    long? MemoryBytes,
    bool IsDefault,
    string RegisteredBy,
    DateTimeOffset RegisteredAt
);

/// <summary>
/// An idempotency key a front door sent with a request to create a run, and a hash of that request: the same key from
/// the same user returns the run created first; the same key with another request is refused.
/// </summary>
public sealed record IdempotencyKey(string Key, string RequestHash);

/// <param name="Created">False when the key named a run created earlier: <see cref="RunId"/> is that run.</param>
/// <param name="SameRequest">For a run created earlier, whether it was created from the same request.</param>
public sealed record CreatedRun(string RunId, bool Created, bool SameRequest = true);

/// <summary>
/// A webhook delivery as stored: its headers and body already scrubbed of secrets, what came of it (ignored and why, or
/// which workflows started), with the runs it created. <see cref="RunIds"/> is filled by the store.
/// </summary>
public sealed record WebhookDelivery(
    string Repository,
    string DeliveryId,
    string Forge,
    string Event,
    DateTimeOffset ReceivedAt,
    string Headers,
    string Body,
    string Outcome
);

/// <summary>
/// A run to create with a delivery, under its idempotency key (the delivery's id and the workflow's path).
/// </summary>
public sealed record DeliveryRun(Run Run, IReadOnlyList<NewTask> Tasks, IdempotencyKey Key);

/// <param name="Recorded">False when the delivery was recorded before: nothing was written this time.</param>
/// <param name="RunIds">The runs this delivery started (also, for a repeat, the first delivery's).</param>
public sealed record DeliveryResult(bool Recorded, IReadOnlyList<string> RunIds);

/// <summary>One delivery of a group commit, with the runs it starts.</summary>
public sealed record DeliveryWrite(WebhookDelivery Delivery, IReadOnlyList<DeliveryRun> Runs);
