using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows.Model;

/// <summary>A loaded workflow: its header and the graph with all imports resolved.</summary>
public sealed record WorkflowDefinition(
    string SourceFile,
    string Version,
    IReadOnlyList<string> Triggers,
    string DefaultMachine,
    WorkflowGraph Graph,
    SourceLocation Location)
{
    /// <summary>Whether an event of this trigger type may start the workflow (case-insensitive).</summary>
    public bool AcceptsTrigger(string trigger) => Triggers.Contains(trigger, StringComparer.OrdinalIgnoreCase);
}
