using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using Hearth.Workflows.Execution;

namespace Hearth.Lifecycle;

/// <summary>
/// A workflow's steps: an ended step moves the run on with the workflow scheduler (<see cref="WorkflowProgress"/>):
/// next steps start (taking their locks), skipped ones end, and the run ends when every step has. A step lost with
/// its agent is retried like any task; a stopped run ends with the reason given when it was stopped.
/// </summary>
public sealed class WorkflowStepRules(RetryJitter jitter) : IKindRules
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

    public void Requeued(PlanBuilder plan, TaskFacts task) { }

    public void Settle(PlanBuilder plan, DateTimeOffset now)
    {
        if (Transitions.Run.IsTerminal(plan.RunState))
            return;
        if (plan.RunState == RunState.Terminating)
        {
            if (plan.Live.Any())
                return;
            var stopped = plan.Run.StopReason == Core.Runs.StopReason.TimedOut ? RunState.TimedOut : RunState.Stopped;
            plan.MoveRun(stopped, r => r with { KeepReason = true, EndedAt = now });
            return;
        }
        if (plan.Run.Plan is not { } workflow)
            return;

        var byStep = plan.Snapshot.Tasks.ToDictionary(t => t.Task.Name, StringComparer.Ordinal);
        var states = byStep.ToDictionary(p => p.Key, p => plan.StateOf(p.Value), StringComparer.Ordinal);
        var advance = WorkflowProgress.Advance(workflow, states);
        foreach (var decision in advance.Decisions)
        {
            if (!byStep.TryGetValue(decision.StepId, out var task) || plan.StateOf(task) != TaskState.Waiting)
                continue;
            var terminal = Transitions.Task.IsTerminal(decision.To);
            plan.Change(
                new TaskChange(task.Id, TaskState.Waiting, decision.To)
                {
                    Reason = decision.Reason,
                    EndedAt = terminal ? now : null,
                    Lock = task.HasLock
                        ? terminal
                            ? LockStep.Release
                            : LockStep.Take
                        : LockStep.None,
                }
            );
        }
        if (advance.Outcome is { } outcome && !plan.Live.Any())
        {
            var reason = outcome == RunState.Failed ? FailureReason(plan) : null;
            plan.MoveRun(outcome, r => r with { Reason = reason ?? advance.Reason, EndedAt = now });
        }
    }

    /// <summary>
    /// "step 1.0 failed (exit code 2); step 1.1 failed (agent lost after 1 attempt(s) (…))": each failed step with its
    /// own reason.
    /// </summary>
    private static string FailureReason(PlanBuilder plan)
    {
        var reasons = plan.Build()
            .Tasks.Where(c => Transitions.Task.IsTerminal(c.To))
            .ToDictionary(c => c.TaskId, c => c.Reason, StringComparer.Ordinal);
        var failed = plan
            .Snapshot.Tasks.Where(t => plan.StateOf(t) is TaskState.Failed or TaskState.TimedOut or TaskState.Stopped)
            .Select(t =>
            {
                var reason = reasons.TryGetValue(t.Id, out var now) ? now : t.Task.Reason;
                var verb = plan.StateOf(t) switch
                {
                    TaskState.TimedOut => "timed out",
                    TaskState.Stopped => "was stopped",
                    _ => "failed",
                };
                return reason is null ? $"step {t.Task.Name} {verb}" : $"step {t.Task.Name} {verb} ({reason})";
            });
        return string.Join("; ", failed);
    }

    /// <summary>"stopped by alice while step 1.0, 1.1 were running; step 1.2, 2 never started".</summary>
    public string? StopReason(PlanBuilder plan, Core.Runs.StopReason reason, string? by, bool anyRunning)
    {
        var head =
            reason == Core.Runs.StopReason.TimedOut ? "timed out"
            : by is null ? "stopped"
            : $"stopped by {by}";
        var running = plan
            .Live.Where(t => t.State is TaskState.Leased or TaskState.Running)
            .Select(t => t.Task.Name)
            .ToList();
        var never = plan
            .Live.Where(t => t.State is TaskState.Pending or TaskState.Waiting)
            .Select(t => t.Task.Name)
            .ToList();
        var text = head;
        if (running.Count > 0)
            text += $" while step {string.Join(", ", running)} {(running.Count == 1 ? "was" : "were")} running";
        if (never.Count > 0)
            text += $"; step {string.Join(", ", never)} never started";
        return text;
    }
}
