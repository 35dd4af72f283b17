using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows.Model;

/// <summary>A loaded workflow: its header and the graph with all imports resolved.</summary>
public sealed record WorkflowDefinition(
    string SourceFile,
    string Version,
    IReadOnlyList<string> Triggers,
    string DefaultMachine,
    WorkflowGraph Graph,
    SourceLocation Location
)
{
    /// <summary>
    /// The chain's <c>attempts</c>: every run step's attempts unless it names its own; null for the server's default.
    /// </summary>
    public int? DefaultAttempts { get; init; }

    /// <summary>
    /// The filters of triggers written as a block (<c>triggers { push { branches "main" } }</c>), by trigger name.
    /// </summary>
    public IReadOnlyDictionary<string, TriggerFilter> TriggerFilters { get; init; } =
        new Dictionary<string, TriggerFilter>();

    /// <summary>The file's <c>schedule</c> nodes: when the workflow runs by itself (see docs/schedules.md).</summary>
    public IReadOnlyList<WorkflowSchedule> Schedules { get; init; } = [];

    /// <summary>Whether an event of this trigger type may start the workflow (case-insensitive).</summary>
    public bool AcceptsTrigger(string trigger) => Triggers.Contains(trigger, StringComparer.OrdinalIgnoreCase);
}
