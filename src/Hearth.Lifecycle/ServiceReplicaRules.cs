using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// A replica of a long-lived service runs as the one task of its own deployment run, pinned to the agent it was placed
/// on. Whatever ends it (an exit, a crash, a lost agent, a stop), the task ends and is not retried here: the services'
/// reconciler (<c>Hearth.Core.Services.ServiceReconciler</c>) decides from the restart policy, the back-off and the
/// live agents whether and where the replica's next task starts. A lost agent's task ending (not re-queued to the
/// same pinned agent) is what fences the old container: its agent's next heartbeat is refused and it stops it.
/// </summary>
public sealed class ServiceReplicaRules(RetryJitter jitter) : IKindRules
{
    public RetryDecision Retry(
        PlanBuilder plan,
        TaskFacts task,
        TaskState state,
        RetryFailure failure,
        int? exitCode
    ) => RetryDecision.GiveUp;

    public void Requeued(PlanBuilder plan, TaskFacts task) { }

    public void Settle(PlanBuilder plan, DateTimeOffset now) => new CommandRules(jitter).Settle(plan, now);

    public string? StopReason(PlanBuilder plan, Core.Runs.StopReason reason, string? by, bool anyRunning) =>
        anyRunning ? null
        : by is null ? "stopped"
        : $"stopped by {by}";
}
