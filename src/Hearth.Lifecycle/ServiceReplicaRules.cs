using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// A replica of a long-lived service (minimal for now): whatever ended it (exit, crash, lost agent), it is restarted
/// as its next attempt, after a back-off that doubles from one second up to a minute, unless its run is stopping.
/// The deployment ends only when every replica has, which only a stop brings about.
/// </summary>
public sealed class ServiceReplicaRules(RetryJitter jitter) : IKindRules
{
    private static readonly RetryPolicy Restart = new()
    {
        MaxAttempts = int.MaxValue,
        Backoff = RetryBackoff.Exponential,
        Delay = TimeSpan.FromSeconds(1),
        MaxDelay = TimeSpan.FromMinutes(1),
    };

    public RetryDecision Retry(PlanBuilder plan, TaskFacts task, TaskState state, RetryFailure failure, int? exitCode)
    {
        if (plan.RunState == RunState.Terminating || task.Task.StopReason != Core.Runs.StopReason.None) return RetryDecision.GiveUp;
        return jitter.Apply(new RetryDecision(true, Retries.DelayAfter(Restart, task.Task.Attempt)), task.Id, task.Task.Attempt);
    }

    public void Requeued(PlanBuilder plan, TaskFacts task)
    {
    }

    public void Settle(PlanBuilder plan, DateTimeOffset now) => new CommandRules(jitter).Settle(plan, now);

    public string? StopReason(PlanBuilder plan, Core.Runs.StopReason reason, string? by, bool anyRunning) =>
        anyRunning ? null : by is null ? "stopped" : $"stopped by {by}";
}
