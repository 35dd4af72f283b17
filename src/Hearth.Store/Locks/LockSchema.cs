namespace Hearth.Store.Locks;

/// <summary>
/// The lock tables' migrations, recorded in <c>lock_schema_version</c>. The same SQL serves both databases.
/// A lock's row is never deleted, so its token only ever grows.
/// </summary>
internal static class LockSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE locks (
                name TEXT PRIMARY KEY,
                token BIGINT NOT NULL DEFAULT 0,
                holder_task TEXT,
                holder_run TEXT,
                since BIGINT,
                lease_expires_at BIGINT,
                next_ticket BIGINT NOT NULL DEFAULT 1
            );
            CREATE INDEX locks_holder ON locks(holder_task);

            CREATE TABLE lock_waiters (
                lock_name TEXT NOT NULL,
                ticket BIGINT NOT NULL,
                task_id TEXT NOT NULL UNIQUE,
                run_id TEXT NOT NULL,
                queued_at BIGINT NOT NULL,
                deadline BIGINT,
                PRIMARY KEY (lock_name, ticket)
            );
            CREATE INDEX lock_waiters_deadline ON lock_waiters(deadline);
            """,
    ];
}
