namespace Hearth.Store.Statuses;

/// <summary>
/// The commit-status outbox, in its own tables and migration list (<c>commit_status_schema_version</c>): a status to
/// send is written here before anyone tries to send it, so a restart loses none; a sender takes the due ones.
/// </summary>
public interface ICommitStatusStore : IMigratingStore
{
    /// <summary>
    /// Starts tracking a run and enqueues its first status, in one transaction; a run tracked already is left as it is.
    /// </summary>
    Task<bool> TrackAsync(TrackedRun run, CommitStatusEntry first, CancellationToken ct);

    /// <summary>Tracked runs whose terminal status is not enqueued yet, oldest first.</summary>
    Task<IReadOnlyList<TrackedRun>> ListOpenAsync(int limit, CancellationToken ct);

    /// <summary>
    /// Moves a run from the phase <paramref name="from"/> to the entry's phase and enqueues the entry, in one
    /// transaction; unsent older entries of the run are superseded (the forge keeps only the latest status of a
    /// context). False when the run was not at <paramref name="from"/> (another server moved it first).
    /// </summary>
    Task<bool> AdvanceAsync(string runId, string from, CommitStatusEntry next, CancellationToken ct);

    /// <summary>Entries neither sent nor given up on whose next attempt is due, oldest first.</summary>
    Task<IReadOnlyList<CommitStatusEntry>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct);

    Task MarkSentAsync(string id, DateTimeOffset now, CancellationToken ct);

    /// <summary>A transient failure: try again at <paramref name="next"/>.</summary>
    Task RetryLaterAsync(string id, DateTimeOffset next, string error, CancellationToken ct);

    /// <summary>
    /// A permanent failure (the forge refused it, or the retries ran out): recorded, never tried again.
    /// </summary>
    Task MarkFailedAsync(string id, DateTimeOffset now, string error, CancellationToken ct);

    /// <summary>Every entry of a repository's runs, newest first (what was sent, what failed and why).</summary>
    Task<IReadOnlyList<CommitStatusEntry>> ListAsync(string repository, int limit, CancellationToken ct);
}
