using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>What a task is, as data: the lifecycle picks each kind's rules from it, never from the task's id.</summary>
[JsonConverter(typeof(LowerSnakeEnumConverter<TaskKind>))]
public enum TaskKind
{
    /// <summary>The one task of an ad-hoc run.</summary>
    Command,

    /// <summary>A run step of a workflow; its run's outcome is the workflow's to decide.</summary>
    WorkflowStep,

    /// <summary>One replica of a long-lived compose service.</summary>
    ServiceReplica,

    /// <summary>A CI job handed over by a forge.</summary>
    CiJob,
}

/// <summary>How a task kind is written in the store: "command", "workflow_step", "service_replica", "ci_job".</summary>
public static class TaskKinds
{
    public static string ToText(TaskKind kind) =>
        kind switch
        {
            TaskKind.Command => "command",
            TaskKind.WorkflowStep => "workflow_step",
            TaskKind.ServiceReplica => "service_replica",
            TaskKind.CiJob => "ci_job",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

    public static TaskKind Parse(string text) =>
        text switch
        {
            "command" => TaskKind.Command,
            "workflow_step" => TaskKind.WorkflowStep,
            "service_replica" => TaskKind.ServiceReplica,
            "ci_job" => TaskKind.CiJob,
            _ => throw new FormatException($"unknown task kind '{text}'"),
        };
}
