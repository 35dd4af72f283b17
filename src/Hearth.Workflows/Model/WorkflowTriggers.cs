namespace Hearth.Workflows.Model;

/// <summary>The event types a workflow may list in <c>triggers</c>.</summary>
public static class WorkflowTriggers
{
    public static IReadOnlyList<string> All { get; } = ["push", "pull_request", "tag", "schedule", "manual"];

    public static bool IsKnown(string trigger) => All.Contains(trigger, StringComparer.Ordinal);
}
