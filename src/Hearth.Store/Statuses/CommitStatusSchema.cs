namespace Hearth.Store.Statuses;

/// <summary>
/// The commit-status tables' migrations, recorded in <c>commit_status_schema_version</c>; the same SQL serves both
/// databases. <c>commit_status_runs</c> is one row per repository-started run whose statuses Hearth reports (the phase
/// last enqueued); <c>commit_status_outbox</c> is one row per status to send (the outbox), kept after it is sent.
/// </summary>
internal static class CommitStatusSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE commit_status_runs (
                run_id TEXT PRIMARY KEY,
                repository TEXT NOT NULL,
                sha TEXT NOT NULL,
                context TEXT NOT NULL,
                target_url TEXT NOT NULL,
                reported TEXT NOT NULL,
                done INTEGER NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE INDEX commit_status_runs_open ON commit_status_runs(done, created_at);
            CREATE TABLE commit_status_outbox (
                id TEXT PRIMARY KEY,
                run_id TEXT NOT NULL,
                repository TEXT NOT NULL,
                sha TEXT NOT NULL,
                context TEXT NOT NULL,
                target_url TEXT NOT NULL,
                phase TEXT NOT NULL,
                rank INTEGER NOT NULL,
                description TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                sent_at BIGINT,
                failed_at BIGINT,
                last_error TEXT
            );
            CREATE INDEX commit_status_outbox_due ON commit_status_outbox(sent_at, failed_at, next_attempt_at);
            CREATE INDEX commit_status_outbox_run ON commit_status_outbox(run_id, rank);
            """,
    ];
}
