namespace Hearth.Workflows.Model;

/// <summary>The flattened chain: top-level steps run in order; groups hold their children.</summary>
public sealed class WorkflowGraph
{
    private readonly Dictionary<string, WorkflowStep> _byId;

    internal WorkflowGraph(IReadOnlyList<WorkflowStep> roots)
    {
        Roots = roots;
        var all = new List<WorkflowStep>();
        Collect(roots, all);
        Steps = all;
        _byId = all.ToDictionary(s => s.Id, StringComparer.Ordinal);
    }

    /// <summary>The chain's top-level steps, in order. They run one after another.</summary>
    public IReadOnlyList<WorkflowStep> Roots { get; }

    /// <summary>Every step, depth-first in document order (a group before its children).</summary>
    public IReadOnlyList<WorkflowStep> Steps { get; }

    public WorkflowStep this[string id] => _byId[id];

    public bool TryGetStep(string id, out WorkflowStep? step) => _byId.TryGetValue(id, out step);

    /// <summary>The distinct machine groups the workflow needs agents for.</summary>
    public IReadOnlyList<string> MachineGroups() =>
        Steps.Where(s => s.Machine is not null).Select(s => s.Machine!).Distinct(StringComparer.Ordinal).ToList();

    private static void Collect(IReadOnlyList<WorkflowStep> steps, List<WorkflowStep> into)
    {
        foreach (var step in steps)
        {
            into.Add(step);
            Collect(step.Children, into);
        }
    }
}
