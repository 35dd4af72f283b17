namespace Hearth.Workflows.Inspection;

/// <summary>One step of the flattened graph, flat and printable (table or JSON).</summary>
public sealed record WorkflowInspectionRow(
    string Id,
    string Kind,
    string? Parent,
    int Order,
    string? Machine,
    string? Condition,
    string? Run,
    string Source,
    string? ImportedFrom,
    IReadOnlyList<string> DependsOn
);
