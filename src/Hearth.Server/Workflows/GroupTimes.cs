using Hearth.Core.Runs;

namespace Hearth.Server.Workflows;

/// <summary>
/// A group's start and end in `workflow status`: it started with its first step and, once over, ended with its last.
/// </summary>
public static class GroupTimes
{
    public static (DateTimeOffset? StartedAt, DateTimeOffset? EndedAt) Of(
        TaskState groupState,
        IReadOnlyList<RunTask> leaves
    )
    {
        var started = leaves.Where(t => t.StartedAt is not null).Select(t => t.StartedAt!.Value).DefaultIfEmpty().Min();
        var over = Transitions.Task.IsTerminal(groupState) && leaves.All(t => t.EndedAt is not null);
        var ended = over && leaves.Count > 0 ? leaves.Max(t => t.EndedAt!.Value) : (DateTimeOffset?)null;
        return (started == default ? null : started, ended);
    }
}
