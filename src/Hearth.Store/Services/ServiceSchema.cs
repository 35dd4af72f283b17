namespace Hearth.Store.Services;

/// <summary>
/// The services' tables, recorded in <c>service_schema_version</c>. Only the event table's numbering differs between
/// the two databases.
/// </summary>
internal static class ServiceSchema
{
    private const string Tables = """
        CREATE TABLE service_projects (
            name TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            removing INTEGER NOT NULL DEFAULT 0,
            remove_volumes INTEGER NOT NULL DEFAULT 0,
            names_version BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE service_replicas (
            project TEXT NOT NULL,
            service TEXT NOT NULL,
            replica INTEGER NOT NULL,
            generation INTEGER NOT NULL,
            run_id TEXT,
            task_id TEXT,
            agent TEXT,
            definition_hash TEXT,
            restarts INTEGER NOT NULL,
            stopping INTEGER NOT NULL,
            restart_requested INTEGER NOT NULL,
            health TEXT NOT NULL,
            failing_streak INTEGER NOT NULL,
            health_output TEXT,
            addresses TEXT,
            last_phase TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (project, service, replica)
        );
        CREATE INDEX service_replicas_task ON service_replicas (task_id);
        """;

    /// <summary>
    /// A roll's new replica beside the old one (new before old), and the definition a failed roll halted on.
    /// </summary>
    private const string Successors = """
        ALTER TABLE service_replicas ADD COLUMN next_generation INTEGER;
        ALTER TABLE service_replicas ADD COLUMN next_run_id TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_task_id TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_agent TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_hash TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_health TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_failing_streak INTEGER;
        ALTER TABLE service_replicas ADD COLUMN next_health_output TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_addresses TEXT;
        ALTER TABLE service_replicas ADD COLUMN next_last_phase TEXT;
        ALTER TABLE service_replicas ADD COLUMN failed_hash TEXT;
        ALTER TABLE service_replicas ADD COLUMN failed_reason TEXT;
        CREATE INDEX service_replicas_next_task ON service_replicas (next_task_id);
        """;

    public static IReadOnlyList<string> Sqlite { get; } =
    [
        Tables
            + """
                CREATE TABLE service_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    project TEXT NOT NULL, service TEXT NOT NULL, replica INTEGER NOT NULL,
                    kind TEXT NOT NULL, message TEXT NOT NULL, at BIGINT NOT NULL
                );
                CREATE INDEX service_events_project ON service_events (project, seq);
                """,
        Successors,
    ];

    public static IReadOnlyList<string> Postgres { get; } =
    [
        Tables
            + """
                CREATE TABLE service_events (
                    seq BIGSERIAL PRIMARY KEY,
                    project TEXT NOT NULL, service TEXT NOT NULL, replica INTEGER NOT NULL,
                    kind TEXT NOT NULL, message TEXT NOT NULL, at BIGINT NOT NULL
                );
                CREATE INDEX service_events_project ON service_events (project, seq);
                """,
        Successors,
    ];
}
