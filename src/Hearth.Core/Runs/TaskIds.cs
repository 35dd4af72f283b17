namespace Hearth.Core.Runs;

/// <summary>
/// How task ids are made, in one place: an ad-hoc run's one task is "RUNID-1", a workflow step is "RUNID-sSTEP".
/// Ids are names only: what a task is lives in its <see cref="TaskKind"/> and its run id in its own column.
/// </summary>
public static class TaskIds
{
    public static string ForCommand(string runId) => runId + "-1";

    public static string ForStep(string runId, string stepId) => $"{runId}-s{stepId}";
}
