namespace Hearth.Workflows.Inspection;

/// <summary>What <c>hearth workflow inspect -o json</c> prints: the flattened graph's fragments.</summary>
public sealed record WorkflowInspection(IReadOnlyList<WorkflowInspectionRow> Fragments);
