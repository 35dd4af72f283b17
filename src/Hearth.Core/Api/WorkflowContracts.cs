using Hearth.Core.Runs;

namespace Hearth.Core.Api;

/// <summary>
/// POST /api/v1/workflows/runs: the plan the CLI built from the workflow file and the run's variables.
/// </summary>
/// <param name="IdempotencyKey">As in <see cref="CreateRunBody.IdempotencyKey"/> (or the <c>Idempotency-Key</c>
/// header).</param>
public sealed record CreateWorkflowRunBody(WorkflowPlan? Plan, string? IdempotencyKey = null);

/// <summary>A workflow run with each step's state, as `hearth workflow status` shows it.</summary>
public sealed record WorkflowRunView(
    RunView Run,
    string Name,
    string Source,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<WorkflowStepView> Steps
);

public sealed record WorkflowStepView
{
    public required string Id { get; init; }
    public required PlanStepKind Kind { get; init; }
    public string? ParentId { get; init; }
    public string? Machine { get; init; }
    public string? Run { get; init; }
    public string? Condition { get; init; }
    public required string Source { get; init; }

    /// <summary>The state of a run step; for a group, derived from its children.</summary>
    public TaskState? State { get; init; }
    public string? Reason { get; init; }
    public int? ExitCode { get; init; }
    public int Attempt { get; init; }
    public string? AgentId { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
}
