using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

[JsonConverter(typeof(UpperSnakeEnumConverter<PlanStepKind>))]
public enum PlanStepKind
{
    Run,
    Parallel,
    Sequence,
}

/// <summary>
/// A workflow as the server keeps it with its run: the flattened steps, with conditions already decided for the
/// variables the run started with. Enough to advance the run after a restart, without the original files.
/// </summary>
public sealed record WorkflowPlan
{
    public required string Name { get; init; }
    public required string Source { get; init; }
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The repository the workflow comes from; secrets scoped to repositories are only given to matching runs.
    /// </summary>
    public string? Repository { get; init; }

    /// <summary>Every step, parents before children, siblings in order. Top-level steps form a sequence.</summary>
    public required IReadOnlyList<PlanStep> Steps { get; init; }
}

/// <param name="Id">Stable id, e.g. "2.1".</param>
/// <param name="ParentId">Null at the top level.</param>
/// <param name="Machine">Machine group of a run step (the agents' "machine" label).</param>
/// <param name="Run">The script of a run step (run with /bin/sh -c).</param>
/// <param name="Condition">The condition as written, for display.</param>
/// <param name="ConditionHolds">False when the condition was false for this run: the step and its subtree are
/// skipped.</param>
/// <param name="Source">file:line:col of the step.</param>
/// <param name="Lock">A lock the step must hold to run (it waits for it, first in first out).</param>
/// <param name="Secrets">Secrets injected into the step's environment.</param>
public sealed record PlanStep(
    string Id,
    PlanStepKind Kind,
    string? ParentId,
    int Order,
    string? Machine,
    string? Run,
    string? Condition,
    bool ConditionHolds,
    string Source,
    string? Lock = null,
    IReadOnlyList<string>? Secrets = null
)
{
    /// <summary>
    /// Attempts in all when the step's agent is lost (KDL <c>attempts</c>); null: the server's default.
    /// </summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// Exit codes of the script that retry the step too, within its attempts (KDL <c>retry-on-exit</c>).
    /// </summary>
    public IReadOnlyList<int>? RetryExitCodes { get; init; }
}
