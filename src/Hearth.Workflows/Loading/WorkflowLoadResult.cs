using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>Either a workflow (when there are no diagnostics) or the diagnostics that explain why not.</summary>
public sealed record WorkflowLoadResult(WorkflowDefinition? Workflow, IReadOnlyList<WorkflowDiagnostic> Diagnostics)
{
    public bool Succeeded => Workflow is not null && Diagnostics.Count == 0;
}
