using System.Diagnostics;

namespace Hearth.Agent.Telemetry;

/// <summary>
/// The agent's spans: a task's run (joined to the trace of the request that created it) and its sandbox's start.
/// </summary>
public static class AgentActivities
{
    public const string SourceName = "Hearth.Agent";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// A span for running <paramref name="lease"/>, child of the trace it was created in when it carries one.
    /// </summary>
    public static Activity? StartTask(Core.Api.Assignment lease)
    {
        var parent =
            lease.TraceParent is { } text && ActivityContext.TryParse(text, null, out var context) ? context : default;
        var activity = Source.StartActivity("task.run", ActivityKind.Consumer, parent);
        activity?.SetTag("hearth.task_id", lease.TaskId);
        activity?.SetTag("hearth.run_id", lease.RunId);
        activity?.SetTag("hearth.attempt", lease.Attempt);
        return activity;
    }
}
