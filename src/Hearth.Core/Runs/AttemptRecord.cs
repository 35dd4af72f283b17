namespace Hearth.Core.Runs;

/// <summary>How one earlier attempt of a task ended (kept so a failed run can list them).</summary>
public sealed record AttemptRecord(int Attempt, string? AgentId, DateTimeOffset EndedAt, string Reason);
