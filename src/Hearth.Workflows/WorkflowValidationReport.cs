using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows;

public sealed record WorkflowValidationReport(int FileCount, IReadOnlyList<WorkflowDiagnostic> Diagnostics)
{
    public bool IsValid => Diagnostics.Count == 0;

    /// <summary>0 when every file is valid, 1 otherwise.</summary>
    public int ExitCode => IsValid ? 0 : 1;

    /// <summary>One <c>file:line:col: error: message</c> line per diagnostic.</summary>
    public IEnumerable<string> Lines => Diagnostics.Select(d => d.ToString());
}
