using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Store;

/// <summary>
/// Durable state of runs, tasks, leases and logs. Every method is one transaction; every state write is
/// checked against <see cref="Transitions"/>; every agent write carries the lease epoch and is refused when stale.
/// </summary>
public interface IRunStore : IMigratingStore
{
    /// <summary>Stores the run and its tasks in one transaction; durable when this returns.</summary>
    Task CreateRunAsync(Run run, IReadOnlyList<NewTask> tasks, CancellationToken ct);

    /// <summary>
    /// <see cref="CreateRunAsync(Run, IReadOnlyList{NewTask}, CancellationToken)"/> under an idempotency key (unique
    /// per <see cref="Run.CreatedBy"/>): when a run was created with that key already, nothing is written and that run
    /// is named, also when two requests with the key race (the unique index decides).
    /// </summary>
    Task<CreatedRun> CreateRunAsync(Run run, IReadOnlyList<NewTask> tasks, IdempotencyKey? key, CancellationToken ct);

    /// <summary>
    /// Records a webhook delivery and creates the runs it starts, all in one transaction, each run under its
    /// idempotency key as <see cref="CreateRunAsync(Run, IReadOnlyList{NewTask}, IdempotencyKey?, CancellationToken)"/>
    /// would. A delivery recorded before (same repository and id, also when two race) writes nothing and names the runs
    /// it made.
    /// </summary>
    Task<DeliveryResult> RecordDeliveryAsync(
        WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs,
        CancellationToken ct
    );

    /// <summary>
    /// Records several deliveries as <see cref="RecordDeliveryAsync"/> would, in ONE transaction (one commit for all),
    /// in order: a repeat of an earlier one in the batch is a repeat. When one fails, the batch is written again with a
    /// savepoint per delivery: the one that fails is rolled back alone and its slot is null (record it again on its own
    /// to learn why); the others still commit.
    /// </summary>
    Task<IReadOnlyList<DeliveryResult?>> RecordDeliveriesAsync(
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    );

    /// <summary>
    /// Does ahead what recording <paramref name="write"/> can do without the database (building its rows), so that the
    /// one writer has less to do inside its transaction; called by each request, in parallel, before it queues.
    /// Optional: recording works the same without it.
    /// </summary>
    void PrepareDelivery(DeliveryWrite write) { }

    /// <summary>The runs of a delivery recorded before (Recorded false), or null when it was not seen.</summary>
    Task<DeliveryResult?> FindDeliveryAsync(string repository, string deliveryId, CancellationToken ct);

    Task<Run?> GetRunAsync(string id, CancellationToken ct);

    Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken ct);

    /// <summary>One task by its id (its run, name and kind), or null.</summary>
    Task<RunTask?> GetTaskAsync(string taskId, CancellationToken ct);

    /// <summary>Grants the oldest pending task whose requirements the agent satisfies, bumping its epoch.</summary>
    Task<Lease?> ClaimAsync(ClaimRequest request, CancellationToken ct);

    /// <summary>Gives a granted task back without counting an attempt (the agent never started it).</summary>
    Task<WriteResult> ReleaseAsync(string taskId, long epoch, CancellationToken ct);

    /// <summary>
    /// LEASED to RUNNING; <paramref name="startedAt"/> is when the sandbox started, and starts the timeout clock.
    /// </summary>
    Task<WriteResult> MarkRunningAsync(string taskId, long epoch, DateTimeOffset startedAt, CancellationToken ct);

    Task<HeartbeatResult> HeartbeatAsync(
        string taskId,
        long epoch,
        DateTimeOffset now,
        TimeSpan leaseTtl,
        CancellationToken ct
    );

    /// <summary>
    /// Appends lines an agent numbered from <paramref name="offset"/> within its attempt. Lines already stored
    /// (a retried chunk) are skipped; a gap is refused with the offset the store expects.
    /// </summary>
    Task<AppendResult> AppendLogsAsync(
        string taskId,
        long epoch,
        long offset,
        IReadOnlyList<AgentLogLine> lines,
        CancellationToken ct
    );

    /// <summary>Lines of a run from <paramref name="from"/> (inclusive), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LogLine>> ReadLogsAsync(string runId, long from, int limit, CancellationToken ct);

    /// <summary>Lines of one task of a run (a workflow step), numbered as in the run's log.</summary>
    Task<IReadOnlyList<LogLine>> ReadLogsAsync(
        string runId,
        string? taskId,
        long from,
        int limit,
        CancellationToken ct
    );

    /// <summary>
    /// Lines of some tasks of a run (a workflow group's steps), numbered as in the run's log; null: every line.
    /// </summary>
    Task<IReadOnlyList<LogLine>> ReadLogsAsync(
        string runId,
        IReadOnlyCollection<string>? taskIds,
        long from,
        int limit,
        CancellationToken ct
    );

    /// <summary>
    /// The same lines as
    /// <see cref="ReadLogsAsync(string, IReadOnlyCollection{string}?, long, int, CancellationToken)"/>, handed to
    /// <paramref name="sink"/> as they are read: a page is never held whole.
    /// </summary>
    Task<LogPageRead> ReadLogsAsync(
        string runId,
        IReadOnlyCollection<string>? taskIds,
        long from,
        int limit,
        ILogLineSink sink,
        CancellationToken ct
    );

    /// <summary>
    /// Applies a workflow scheduler's decisions (Waiting tasks to Pending or Skipped) and, when every task has ended,
    /// the run's outcome. Decisions about tasks no longer Waiting are ignored, so applying the same advance twice is
    /// harmless. Returns true when anything changed.
    /// </summary>
    Task<bool> AdvanceWorkflowAsync(
        string runId,
        IReadOnlyList<TaskTransition> transitions,
        RunState? outcome,
        string? reason,
        DateTimeOffset now,
        CancellationToken ct
    );

    Task<WriteResult> CompleteAsync(
        string taskId,
        long epoch,
        TaskResult result,
        DateTimeOffset now,
        CancellationToken ct
    );

    /// <summary>
    /// Ends an attempt in one transaction: appends its last lines (a gap writes nothing and returns
    /// <see cref="WriteResult.LogGapAt"/>), marks a LEASED task RUNNING when <see cref="Completion.StartedAt"/> is
    /// given, then applies the result; each transition is checked as if it came in its own call.
    /// </summary>
    Task<WriteResult> CompleteAsync(
        string taskId,
        long epoch,
        Completion completion,
        DateTimeOffset now,
        CancellationToken ct
    );

    /// <summary>
    /// <see cref="CompleteAsync(string, long, Completion, DateTimeOffset, CancellationToken)"/>, then, when the result
    /// was written, a claim for <paramref name="next"/> in the same transaction: an agent going from one short task to
    /// the next costs one commit. <c>Next</c> is null when nothing was written or no task is waiting for that agent.
    /// </summary>
    Task<(WriteResult Written, Lease? Next)> CompleteAndClaimAsync(
        string taskId,
        long epoch,
        Completion completion,
        DateTimeOffset now,
        ClaimRequest next,
        CancellationToken ct
    );

    /// <summary>Asks for a run to stop. Idempotent: a run already ending or ended is returned unchanged.</summary>
    /// <param name="by">Who asked (named in the run's reason); null when Hearth did (a timeout).</param>
    Task<Run?> RequestStopAsync(
        string runId,
        StopReason reason,
        DateTimeOffset now,
        CancellationToken ct,
        string? by = null
    );

    /// <summary>
    /// Brings a run in line with its tasks through the lifecycle (a workflow's next steps, its outcome). True when
    /// anything changed.
    /// </summary>
    Task<bool> ReconcileAsync(string runId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Requeues (attempt+1) or fails ("agent lost") tasks whose lease expired; at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<string>> RescueExpiredAsync(DateTimeOffset now, int limit, CancellationToken ct);

    /// <summary>Runs whose tasks are past their deadline and not yet asked to stop.</summary>
    Task<IReadOnlyList<string>> FindOverdueAsync(DateTimeOffset now, int limit, CancellationToken ct);

    /// <summary>
    /// Keeps the (encrypted) secret values the current attempt of a task was given, for masking its lines on any
    /// server. Fenced by the epoch like every write about a lease.
    /// </summary>
    Task<WriteResult> SetSecretMaskAsync(string taskId, long epoch, string encrypted, CancellationToken ct);

    /// <summary>The encrypted secret values the task was given last (null: none, or no such task).</summary>
    Task<string?> GetSecretMaskAsync(string taskId, CancellationToken ct);

    Task<AgentRecord> RegisterAgentAsync(AgentRegistration registration, DateTimeOffset now, CancellationToken ct);

    Task<IReadOnlyList<AgentRecord>> ListAgentsAsync(CancellationToken ct);

    Task TouchAgentAsync(string agentId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// The agent takes no more work, on every server, from <paramref name="now"/> on; false for an unknown agent.
    /// </summary>
    Task<bool> DrainAgentAsync(string agentId, DateTimeOffset now, CancellationToken ct);

    /// <summary>How many tasks each agent holds under a lease (leased or running), by agent id.</summary>
    Task<IReadOnlyDictionary<string, int>> CountLeasedTasksAsync(CancellationToken ct);

    /// <summary>
    /// Pending tasks claimable now (no back-off left), oldest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<PendingTask>> ListPendingTasksAsync(DateTimeOffset now, int limit, CancellationToken ct);

    /// <summary>
    /// Fails a task still pending (no agent could ever take it) with <paramref name="reason"/>, releasing its locks and
    /// ending its run when it was the run's last live task (a workflow's outcome stays the scheduler's). False when
    /// the task is no longer pending.
    /// </summary>
    Task<bool> FailPendingAsync(string taskId, string reason, DateTimeOffset now, CancellationToken ct);

    /// <summary>Registers (or re-registers) an image; a default one replaces the previous default.</summary>
    Task RegisterImageAsync(RegisteredImage image, CancellationToken ct);

    Task<IReadOnlyList<RegisteredImage>> ListRegisteredImagesAsync(CancellationToken ct);

    Task<bool> UnregisterImageAsync(string reference, CancellationToken ct);

    /// <summary>Checks the store answers (for /ready).</summary>
    Task PingAsync(CancellationToken ct);
}
