using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// An ad-hoc run (and a CI job): its one task's outcome is the run's. A failed attempt is retried as its policy
/// says (a lost agent by default, a non-zero exit only when asked); a requeued run is starting again.
/// </summary>
public sealed class CommandRules(RetryJitter jitter) : IKindRules
{
    public RetryDecision Retry(
        PlanBuilder plan,
        TaskFacts task,
        TaskState state,
        RetryFailure failure,
        int? exitCode
    ) =>
        state != TaskState.Failed || plan.RunState == RunState.Terminating
            ? RetryDecision.GiveUp
            : jitter.Apply(
                Retries.Decide(task.Policy, task.Task.Attempt, failure, exitCode),
                task.Id,
                task.Task.Attempt
            );

    public void Requeued(PlanBuilder plan, TaskFacts task)
    {
        if (plan.RunState == RunState.Running)
            plan.MoveRun(RunState.Starting, r => r with { KeepReason = true });
    }

    /// <summary>The run ends with its last live task, taking that task's outcome.</summary>
    public void Settle(PlanBuilder plan, DateTimeOffset now)
    {
        if (Transitions.Run.IsTerminal(plan.RunState) || plan.Live.Any())
            return;
        var last = plan.Build().Tasks.LastOrDefault(t => Transitions.Task.IsTerminal(t.To));
        if (last is null)
            return;
        plan.MoveRun(Outcome.ToRunState(last.To), r =>
            r with
            {
                ExitCode = last.ExitCode,
                Reason = last.Reason,
                EndedAt = now,
            }
        );
    }

    public string? StopReason(PlanBuilder plan, Core.Runs.StopReason reason, string? by, bool anyRunning)
    {
        if (anyRunning)
            return null;
        if (reason == Core.Runs.StopReason.TimedOut)
            return "timed out before it started";
        return by is null ? "killed before it started" : $"killed by {by} before it started";
    }
}
