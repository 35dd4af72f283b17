namespace Hearth.Store.Schedules;

/// <summary>
/// The schedule table's migrations, recorded in <c>schedule_schema_version</c>; the same SQL serves both databases.
/// </summary>
internal static class ScheduleSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE schedules (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                spec TEXT NOT NULL,
                time_zone TEXT,
                missed TEXT NOT NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                source TEXT,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                cursor_at BIGINT NOT NULL,
                last_run_id TEXT,
                last_fired_at BIGINT,
                last_error TEXT
            );
            """,
    ];
}
