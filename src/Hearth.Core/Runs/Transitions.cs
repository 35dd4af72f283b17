namespace Hearth.Core.Runs;

/// <summary>The allowed transitions of runs and tasks, as data.</summary>
public static class Transitions
{
    public static StateMachine<RunState> Run { get; } =
        new(
            new Dictionary<RunState, RunState[]>
            {
                [RunState.Starting] =
                [
                    RunState.Running,
                    RunState.Terminating,
                    RunState.Succeeded,
                    RunState.Failed,
                    RunState.Stopped,
                    RunState.TimedOut,
                ],
                [RunState.Running] =
                [
                    RunState.Starting,
                    RunState.Terminating,
                    RunState.Succeeded,
                    RunState.Failed,
                    RunState.Stopped,
                    RunState.TimedOut,
                ],
                // A command can end by itself while its stop is on the way; the stop reason still decides the outcome.
                [RunState.Terminating] = [RunState.Stopped, RunState.TimedOut, RunState.Failed],
            }
        );

    public static StateMachine<TaskState> Task { get; } =
        new(
            new Dictionary<TaskState, TaskState[]>
            {
                [TaskState.Waiting] =
                [
                    TaskState.Pending,
                    TaskState.Skipped,
                    TaskState.Stopped,
                    TaskState.TimedOut,
                    TaskState.Failed,
                ],
                [TaskState.Pending] =
                [
                    TaskState.Leased,
                    TaskState.Stopped,
                    TaskState.TimedOut,
                    TaskState.Failed,
                    TaskState.Skipped,
                ],
                // Back to Pending when a lease is lost and attempts remain (rescue), or handed back by a draining
                // agent.
                [TaskState.Leased] =
                [
                    TaskState.Running,
                    TaskState.Pending,
                    TaskState.Succeeded,
                    TaskState.Failed,
                    TaskState.Stopped,
                    TaskState.TimedOut,
                ],
                [TaskState.Running] =
                [
                    TaskState.Pending,
                    TaskState.Succeeded,
                    TaskState.Failed,
                    TaskState.Stopped,
                    TaskState.TimedOut,
                ],
            }
        );
}
