namespace Hearth.Core.Runs;

/// <summary>
/// How task ids are made and read, in one place: an ad-hoc run's one task is "RUNID-1", a workflow step is
/// "RUNID-sSTEP" (e.g. "3f2a…-s1.0"). Run ids are hex, so "-s" marks a workflow step unambiguously.
/// </summary>
public static class TaskIds
{
    public static string ForCommand(string runId) => runId + "-1";

    public static string ForStep(string runId, string stepId) => $"{runId}-s{stepId}";

    public static bool IsStep(string taskId) => taskId.Contains("-s", StringComparison.Ordinal);

    public static string RunOf(string taskId)
    {
        var dash = taskId.LastIndexOf('-');
        return dash > 0 ? taskId[..dash] : taskId;
    }

    /// <summary>The step id of a workflow task, or null for any other task.</summary>
    public static string? StepOf(string? taskId) =>
        taskId is not null && taskId.LastIndexOf("-s", StringComparison.Ordinal) is var at and > 0 ? taskId[(at + 2)..] : null;
}
