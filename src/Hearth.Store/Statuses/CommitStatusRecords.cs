namespace Hearth.Store.Statuses;

/// <summary>
/// Where a run stands in what the forge was told: <c>pending</c>, <c>running</c>, then one of <c>success</c>,
/// <c>failure</c>, <c>error</c>, <c>canceled</c>. Each forge maps these onto its own states when the status is sent.
/// </summary>
public static class StatusPhase
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Error = "error";
    public const string Canceled = "canceled";

    /// <summary>Phases only move forward: pending 0, running 1, a terminal phase 2.</summary>
    public static int Rank(string phase) =>
        phase switch
        {
            Pending => 0,
            Running => 1,
            _ => 2,
        };

    public static bool IsTerminal(string phase) => Rank(phase) == 2;
}

/// <summary>
/// A repository-started run whose commit statuses are reported; <see cref="Reported"/> is the phase last enqueued.
/// </summary>
public sealed record TrackedRun(
    string RunId,
    string Repository,
    string Sha,
    string Context,
    string TargetUrl,
    string Reported,
    DateTimeOffset CreatedAt
);

/// <summary>One status to send (or sent, or given up on): the outbox row.</summary>
public sealed record CommitStatusEntry(
    string Id,
    string RunId,
    string Repository,
    string Sha,
    string Context,
    string TargetUrl,
    string Phase,
    string Description,
    DateTimeOffset CreatedAt,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset? SentAt = null,
    DateTimeOffset? FailedAt = null,
    string? LastError = null
)
{
    public static CommitStatusEntry For(TrackedRun run, string phase, string description, DateTimeOffset now) =>
        new(
            $"{run.RunId}:{phase}",
            run.RunId,
            run.Repository,
            run.Sha,
            run.Context,
            run.TargetUrl,
            phase,
            description,
            now,
            0,
            now
        );
}
