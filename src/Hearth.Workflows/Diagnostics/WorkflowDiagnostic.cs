namespace Hearth.Workflows.Diagnostics;

/// <summary>An error in a workflow or imported file, printed as <c>file:line:col: error: message</c>.</summary>
public sealed record WorkflowDiagnostic(WorkflowErrorCode Code, SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: error: {Message}";
}
