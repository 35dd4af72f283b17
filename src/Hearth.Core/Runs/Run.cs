namespace Hearth.Core.Runs;

/// <summary>What a user started. An ad-hoc run has exactly one task.</summary>
public sealed record Run
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required RunState State { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int? ExitCode { get; init; }

    /// <summary>Why the run ended the way it did ("agent lost", "out of memory", "timed out after 10s", …).</summary>
    public string? Reason { get; init; }
    public StopReason StopReason { get; init; }
    public required TaskSpec Spec { get; init; }
    public string? CreatedBy { get; init; }

    /// <summary>Number of log lines stored so far; the next line gets this number.</summary>
    public long LogLines { get; init; }
    public IReadOnlyList<RunTask> Tasks { get; init; } = [];

    /// <summary>For a workflow run, its steps; null otherwise.</summary>
    public WorkflowPlan? Plan { get; init; }
}
