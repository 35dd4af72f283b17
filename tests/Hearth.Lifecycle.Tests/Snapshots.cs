using Hearth.Core.Lifecycle;
using Hearth.Core.Locks;
using Hearth.Core.Runs;

namespace Hearth.Lifecycle.Tests;

/// <summary>Snapshots as the store would read them, built by hand: a run and its tasks in given states.</summary>
internal static class Snapshots
{
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TaskSnapshot Task(
        string name,
        TaskState state,
        TaskKind kind = TaskKind.Command,
        int attempt = 1,
        int maxAttempts = 1,
        string? agent = "agent-a",
        StopReason stop = StopReason.None,
        RetryPolicy? retry = null,
        string? lockName = null,
        IReadOnlyList<AttemptRecord>? history = null
    ) =>
        new(
            new RunTask
            {
                Id = $"run1-{name}",
                RunId = "run1",
                Name = name,
                Kind = kind,
                State = state,
                Attempt = attempt,
                MaxAttempts = maxAttempts,
                Epoch = attempt,
                AgentId = state is TaskState.Leased or TaskState.Running ? agent : null,
                StopReason = stop,
                History = history ?? [],
            },
            new TaskSpec
            {
                Command = ["true"],
                Retry = retry,
                Lock = lockName is null ? null : new LockRequest(lockName),
            }
        );

    public static LifecycleSnapshot Command(TaskSnapshot task, RunState state = RunState.Running) =>
        Of(RunKinds.Command, state, null, task);

    public static LifecycleSnapshot Of(string kind, RunState state, WorkflowPlan? plan, params TaskSnapshot[] tasks) =>
        new(
            new Run
            {
                Id = "run1",
                Kind = kind,
                State = state,
                CreatedAt = T0,
                Spec = new TaskSpec { Command = ["true"] },
                Plan = plan,
                Tasks = tasks.Select(t => t.Task).ToList(),
            },
            tasks
        );

    /// <summary>0: a run step; 1: a parallel group of 1.0 and 1.1; 2: a run step (a sequence at the top).</summary>
    public static WorkflowPlan ParallelPlan() =>
        new()
        {
            Name = "parallel.kdl",
            Source = "parallel.kdl",
            Steps =
            [
                new PlanStep("0", PlanStepKind.Run, null, 0, "test", "echo 0", null, true, "parallel.kdl:4:5"),
                new PlanStep("1", PlanStepKind.Parallel, null, 1, null, null, null, true, "parallel.kdl:5:5"),
                new PlanStep("1.0", PlanStepKind.Run, "1", 0, "test", "echo 1.0", null, true, "parallel.kdl:6:9"),
                new PlanStep("1.1", PlanStepKind.Run, "1", 1, "test", "echo 1.1", null, true, "parallel.kdl:7:9"),
                new PlanStep("2", PlanStepKind.Run, null, 2, "test", "echo 2", null, true, "parallel.kdl:9:5"),
            ],
        };

    public static TaskSnapshot Step(
        string name,
        TaskState state,
        int attempt = 1,
        int maxAttempts = 3,
        StopReason stop = StopReason.None,
        string? agent = "agent-a",
        string? lockName = null
    ) => Task(name, state, TaskKind.WorkflowStep, attempt, maxAttempts, agent, stop, lockName: lockName);
}
