namespace Hearth.Core.Runs;

/// <summary>A task as the store keeps it, with its current lease.</summary>
public sealed record RunTask
{
    public required string Id { get; init; }
    public required string RunId { get; init; }

    /// <summary>"main" for an ad-hoc run; the step id (e.g. "2.1") for a workflow step.</summary>
    public string Name { get; init; } = "main";
    public TaskKind Kind { get; init; } = TaskKind.Command;
    public required TaskState State { get; init; }

    /// <summary>1 for the first lease; each rescue adds one.</summary>
    public required int Attempt { get; init; }
    public required int MaxAttempts { get; init; }

    /// <summary>Fencing token: bumped on every grant. Writes carrying an older epoch are refused.</summary>
    public required long Epoch { get; init; }
    public string? AgentId { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>A retried task waiting out its back-off is not claimable before this.</summary>
    public DateTimeOffset? NotBefore { get; init; }
    public StopReason StopReason { get; init; }
    public int? ExitCode { get; init; }
    public string? Reason { get; init; }
    public IReadOnlyList<AttemptRecord> History { get; init; } = [];

    /// <summary>When the task was first queued (a retry keeps its place in the queue).</summary>
    public DateTimeOffset? QueuedAt { get; init; }

    /// <summary>When the current attempt was granted to an agent.</summary>
    public DateTimeOffset? LeasedAt { get; init; }

    /// <summary>When the current attempt's command wrote its first line (the agent's clock).</summary>
    public DateTimeOffset? FirstOutputAt { get; init; }

    /// <summary>When the current attempt's sandbox exited (the agent's clock).</summary>
    public DateTimeOffset? ExitedAt { get; init; }

    /// <summary>
    /// Labels an agent must carry to take the task (its spec's requirements, a pinned driver's among them).
    /// </summary>
    public IReadOnlyDictionary<string, string> Requirements { get; init; } = new Dictionary<string, string>();
}
