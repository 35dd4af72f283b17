using Hearth.Core;
using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// The one lifecycle function for every kind of work: from a snapshot and what happened, the transitions to make.
/// What every task shares lives here (an attempt's outcome, its history, the requeue, a stop, lock release); each
/// kind adds its own rules (<see cref="IKindRules"/>). Pure: same snapshot, same event, same seed, same plan.
/// </summary>
/// <param name="jitter">How much of a retry's back-off may be taken off at random (0 to 1): retries of many tasks
/// that failed together spread out instead of hitting the same moment.</param>
/// <param name="seed">Seeds that randomness, so a decision can be replayed.</param>
public sealed class LifecycleRules(double jitter = 0, int seed = 0) : ILifecycleRules
{
    private readonly RetryJitter _jitter = new(jitter, seed);

    public LifecyclePlan Decide(LifecycleSnapshot snapshot, LifecycleEvent happened)
    {
        var plan = new PlanBuilder(snapshot);
        switch (happened)
        {
            case TaskReported reported:
                Report(plan, reported);
                break;
            case LeaseExpired expired:
                Expire(plan, expired);
                break;
            case StopRequested stop:
                Stop(plan, stop);
                break;
            case TaskUnplaceable unplaceable:
                Unplaceable(plan, unplaceable);
                break;
            case Reconcile reconcile:
                if (!Transitions.Run.IsTerminal(plan.RunState))
                    RulesOfRun(snapshot).Settle(plan, reconcile.Now);
                break;
        }
        return plan.Build();
    }

    public IKindRules RulesOf(TaskKind kind) =>
        kind switch
        {
            TaskKind.WorkflowStep => new WorkflowStepRules(_jitter),
            TaskKind.ServiceReplica => new ServiceReplicaRules(_jitter),
            _ => new CommandRules(_jitter),
        };

    /// <summary>A run's tasks share one kind; a run without tasks settles as a command.</summary>
    private IKindRules RulesOfRun(LifecycleSnapshot snapshot) =>
        RulesOf(snapshot.Tasks.FirstOrDefault()?.Task.Kind ?? TaskKind.Command);

    private void Report(PlanBuilder plan, TaskReported reported)
    {
        if (plan.Snapshot.Find(reported.TaskId) is not { State: TaskState.Leased or TaskState.Running } found)
            return;
        var task = new TaskFacts(found);
        var rules = RulesOf(task.Task.Kind);
        var result = reported.Result;
        var (state, reason) = Outcome.Decide(result, task.Task.StopReason, task.Spec.Timeout);
        var startedAt = task.Task.State == TaskState.Leased ? reported.StartedAt : null;
        if (startedAt is { } started)
            plan.StartRun(started);

        var history = task.Task.History;
        if (state == TaskState.Failed)
            history =
            [
                .. history,
                new AttemptRecord(task.Task.Attempt, task.Task.AgentId, reported.Now, reason ?? "failed"),
            ];
        var decision = rules.Retry(plan, task, state, Retries.Classify(result), result.ExitCode);
        if (decision.Retry)
        {
            Requeue(
                plan,
                task,
                rules,
                history,
                reported.Now,
                decision.Delay,
                $"hearth: attempt {task.Task.Attempt} {Ended(state, reason)}; retrying as attempt {task.Task.Attempt + 1}{Of(task)}{After(decision.Delay)}"
            );
            return;
        }
        if (state == TaskState.Failed && history.Count > 1)
            reason = $"{reason} after {task.Task.Attempt} attempts ({List(history)})";
        End(
            plan,
            task,
            state,
            result.ExitCode,
            reason,
            reported.Now,
            startedAt,
            state == TaskState.Failed ? history : null
        );
        rules.Settle(plan, reported.Now);
    }

    /// <summary>
    /// A task still pending that nothing could take: it fails with placement's reason, and its run settles.
    /// </summary>
    private void Unplaceable(PlanBuilder plan, TaskUnplaceable unplaceable)
    {
        if (plan.Snapshot.Find(unplaceable.TaskId) is not { State: TaskState.Pending } found)
            return;
        var task = new TaskFacts(found);
        End(plan, task, TaskState.Failed, null, unplaceable.Reason, unplaceable.Now, null, null);
        plan.Line(task.Id, task.Task.Attempt, $"hearth: {unplaceable.Reason}");
        RulesOf(task.Task.Kind).Settle(plan, unplaceable.Now);
    }

    private void Expire(PlanBuilder plan, LeaseExpired expired)
    {
        if (plan.Snapshot.Find(expired.TaskId) is not { State: TaskState.Leased or TaskState.Running } found)
            return;
        var task = new TaskFacts(found);
        var rules = RulesOf(task.Task.Kind);
        var attempt = task.Task.Attempt;
        IReadOnlyList<AttemptRecord> history =
        [
            .. task.Task.History,
            new AttemptRecord(attempt, task.Task.AgentId, expired.Now, "agent lost: lease expired"),
        ];

        if (task.Task.StopReason != Core.Runs.StopReason.None)
        {
            var timedOut = task.Task.StopReason == Core.Runs.StopReason.TimedOut;
            End(
                plan,
                task,
                timedOut ? TaskState.TimedOut : TaskState.Stopped,
                null,
                $"{(timedOut ? "timed out" : "killed")}; agent lost before it confirmed",
                expired.Now,
                null,
                history
            );
            rules.Settle(plan, expired.Now);
            return;
        }

        var decision = rules.Retry(plan, task, TaskState.Failed, RetryFailure.AgentLost, null);
        if (decision.Retry)
        {
            Requeue(
                plan,
                task,
                rules,
                history,
                expired.Now,
                decision.Delay,
                $"hearth: attempt {attempt} lost (agent {task.Task.AgentId} stopped renewing its lease); queued as attempt {attempt + 1}{Of(task)}{After(decision.Delay)}"
            );
            return;
        }
        End(
            plan,
            task,
            TaskState.Failed,
            null,
            $"agent lost after {attempt} attempt(s) ({List(history)})",
            expired.Now,
            null,
            history
        );
        rules.Settle(plan, expired.Now);
    }

    private void Stop(PlanBuilder plan, StopRequested stop)
    {
        var run = plan.Run;
        if (Transitions.Run.IsTerminal(run.State) || run.State == RunState.Terminating)
            return;
        var rules = RulesOfRun(plan.Snapshot);
        var timedOut = stop.Reason == Core.Runs.StopReason.TimedOut;
        var terminal = timedOut ? TaskState.TimedOut : TaskState.Stopped;
        var anyRunning = plan.Live.Any(t => t.State is TaskState.Leased or TaskState.Running);
        // Decided before the tasks move: the reason names which steps were running and which never started.
        var runReason = rules.StopReason(plan, stop.Reason, stop.By, anyRunning);
        foreach (var task in plan.Live.ToList())
        {
            if (task.State is TaskState.Pending or TaskState.Waiting)
            {
                plan.Change(
                    new TaskChange(task.Id, task.State, terminal)
                    {
                        Stop = stop.Reason,
                        Reason = timedOut ? "timed out before it started" : "killed before it started",
                        EndedAt = stop.Now,
                        Lock = task.HasLock ? LockStep.Release : LockStep.None,
                    }
                );
            }
            else
            {
                plan.Change(new TaskChange(task.Id, task.State, task.State) { Stop = stop.Reason, KeepReason = true });
            }
        }

        plan.MoveRun(anyRunning ? RunState.Terminating : Outcome.ToRunState(terminal), r =>
            r with
            {
                Stop = stop.Reason,
                Reason = runReason,
                EndedAt = anyRunning ? null : stop.Now,
            }
        );
        plan.Line(
            null,
            run.Tasks.Count == 0 ? 1 : run.Tasks.Max(t => t.Attempt),
            timedOut ? "hearth: timeout reached, stopping"
                : stop.By is null ? "hearth: kill requested, stopping"
                : $"hearth: stop requested by {stop.By}, stopping"
        );
    }

    /// <summary>The task ends in <paramref name="state"/>, letting go of its lock.</summary>
    internal static void End(
        PlanBuilder plan,
        TaskFacts task,
        TaskState state,
        int? exitCode,
        string? reason,
        DateTimeOffset now,
        DateTimeOffset? startedAt,
        IReadOnlyList<AttemptRecord>? history
    )
    {
        plan.Change(
            new TaskChange(task.Id, plan.StateOf(task.Snapshot), state)
            {
                ExitCode = exitCode,
                Reason = reason,
                EndedAt = now,
                StartedAt = startedAt,
                History = history,
                Lock = task.Snapshot.HasLock ? LockStep.Release : LockStep.None,
            }
        );
    }

    private static void Requeue(
        PlanBuilder plan,
        TaskFacts task,
        IKindRules rules,
        IReadOnlyList<AttemptRecord> history,
        DateTimeOffset now,
        TimeSpan delay,
        string line
    )
    {
        plan.Change(
            new TaskChange(task.Id, task.Task.State, TaskState.Pending)
            {
                NextAttempt = true,
                KeepReason = true,
                History = history,
                NotBefore = delay > TimeSpan.Zero ? now + delay : null,
                Lock = task.Snapshot.HasLock ? LockStep.Refence : LockStep.None,
            }
        );
        plan.Line(task.Id, task.Task.Attempt, line);
        rules.Requeued(plan, task);
    }

    private static string Ended(TaskState state, string? reason) =>
        state == TaskState.Succeeded ? "ended" : $"failed ({reason})";

    private static string Of(TaskFacts task) =>
        task.Task.Kind == TaskKind.ServiceReplica ? "" : $" of {task.Task.MaxAttempts}";

    private static string After(TimeSpan delay) => delay > TimeSpan.Zero ? $" in {Durations.Format(delay)}" : "";

    internal static string List(IEnumerable<AttemptRecord> attempts) =>
        string.Join("; ", attempts.Select(h => $"attempt {h.Attempt} on agent {h.AgentId}: {h.Reason}"));
}
