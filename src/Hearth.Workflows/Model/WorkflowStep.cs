using Hearth.Workflows.Conditions;
using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows.Model;

/// <summary>One node of the flattened workflow graph: a command to run or a group of steps.</summary>
public sealed class WorkflowStep
{
    internal WorkflowStep(
        string id,
        WorkflowStepKind kind,
        string? parentId,
        int order,
        string? machine,
        string? run,
        Condition? condition,
        SourceLocation source,
        string? importedFrom,
        IReadOnlyList<string> dependsOn
    )
    {
        Id = id;
        Kind = kind;
        ParentId = parentId;
        Order = order;
        Machine = machine;
        Run = run;
        Condition = condition;
        Source = source;
        ImportedFrom = importedFrom;
        DependsOn = dependsOn;
    }

    /// <summary>
    /// Stable id: the 0-based position among siblings, joined with '.' from the top (<c>2</c>, <c>2.1</c>).
    /// The same file (and imports) always gives the same ids.
    /// </summary>
    public string Id { get; }

    public WorkflowStepKind Kind { get; }

    /// <summary>The enclosing group's id, or null at the top of the chain.</summary>
    public string? ParentId { get; }

    /// <summary>0-based position among the steps with the same parent.</summary>
    public int Order { get; }

    /// <summary>The machine group whose agents run this step; null for groups.</summary>
    public string? Machine { get; }

    /// <summary>The shell script; null for groups.</summary>
    public string? Run { get; }

    /// <summary>When present and false at run time, the step and everything under it is skipped.</summary>
    public Condition? Condition { get; }

    /// <summary>Where the step is written (for imported steps, in the imported file).</summary>
    public SourceLocation Source { get; }

    /// <summary>
    /// The innermost <c>from</c> value this step came through, or null when written in the workflow itself.
    /// </summary>
    public string? ImportedFrom { get; }

    /// <summary>
    /// Ids of siblings that must have ended before this step may start: the previous sibling in a sequence
    /// (the chain itself, or a <see cref="WorkflowStepKind.Sequence"/> group). Empty for the first step of a
    /// sequence and for children of a parallel group. A step also waits for its parent group to start.
    /// </summary>
    public IReadOnlyList<string> DependsOn { get; }

    /// <summary>
    /// The cluster-wide lock this run step holds while it runs (KDL: <c>lock "deploy-prod"</c>), if any.
    /// </summary>
    public string? Lock { get; internal init; }

    /// <summary>Secrets this run step gets in its environment (KDL: <c>secrets "db-password"</c>).</summary>
    public IReadOnlyList<string> Secrets { get; internal init; } = [];

    /// <summary>
    /// Attempts in all when the run step's agent is lost (KDL: <c>attempts 2</c>); null: the chain's, else the
    /// server's.
    /// </summary>
    public int? Attempts { get; internal init; }

    /// <summary>Exit codes that retry the run step too, within its attempts (KDL: <c>retry-on-exit 75</c>).</summary>
    public IReadOnlyList<int> RetryExitCodes { get; internal init; } = [];

    public IReadOnlyList<WorkflowStep> Children { get; internal set; } = [];

    public bool IsGroup => Kind != WorkflowStepKind.Run;

    public override string ToString() => $"{Id} {Kind}";
}
