using Hearth.Kdl;
using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows.Loading;

/// <summary>Collects diagnostics so one run reports every problem it can find, not just the first.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<WorkflowDiagnostic> _items = [];

    public IReadOnlyList<WorkflowDiagnostic> Items => _items;

    public int Count => _items.Count;

    public void Add(WorkflowErrorCode code, SourceLocation location, string message) =>
        _items.Add(new WorkflowDiagnostic(code, location, message));

    public static SourceLocation At(string file, KdlLocation location) => new(file, location.Line, location.Column);
}
