namespace Hearth.Core.Runs;

/// <summary>Decides the terminal state of a task from how its sandbox ended and why it was stopped.</summary>
public static class Outcome
{
    public static (TaskState State, string? Reason) Decide(TaskResult result, StopReason stop, TimeSpan? timeout)
    {
        if (stop == StopReason.TimedOut)
            return (TaskState.TimedOut, timeout is { } t ? $"timed out after {Durations.Format(t)}" : "timed out");
        if (stop == StopReason.Killed)
            return (TaskState.Stopped, "killed");
        if (result.Error is { } error)
            return (TaskState.Failed, error);
        if (result.OomKilled)
            return (TaskState.Failed, "OOM: killed at its memory limit");
        return result.ExitCode == 0 ? (TaskState.Succeeded, null) : (TaskState.Failed, $"exit code {result.ExitCode}");
    }

    public static RunState ToRunState(TaskState state) =>
        state switch
        {
            TaskState.Pending => RunState.Starting,
            TaskState.Waiting => RunState.Starting,
            TaskState.Leased => RunState.Starting,
            TaskState.Running => RunState.Running,
            TaskState.Succeeded => RunState.Succeeded,
            TaskState.Failed => RunState.Failed,
            TaskState.Stopped => RunState.Stopped,
            TaskState.TimedOut => RunState.TimedOut,
            TaskState.Skipped => RunState.Stopped,
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
        };
}
