using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// What one kind of task adds to the lifecycle: whether an ended attempt goes again, what a requeue does to the run,
/// and how the run moves on once tasks have ended. Pure, like the rest of the lifecycle.
/// </summary>
public interface IKindRules
{
    /// <summary>Whether the attempt that just ended (<paramref name="state"/>) is tried again, and when.</summary>
    RetryDecision Retry(PlanBuilder plan, TaskFacts task, TaskState state, RetryFailure failure, int? exitCode);

    /// <summary>The task went back to the queue.</summary>
    void Requeued(PlanBuilder plan, TaskFacts task);

    /// <summary>Moves the run on from its tasks' states: next steps, its outcome once nothing is live.</summary>
    void Settle(PlanBuilder plan, DateTimeOffset now);

    /// <summary>The run's reason when it is asked to stop (it is kept as its outcome's reason).</summary>
    string? StopReason(PlanBuilder plan, Core.Runs.StopReason reason, string? by, bool anyRunning);
}
