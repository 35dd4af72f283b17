namespace Hearth.Store.Services;

/// <summary>
/// The services' tables, recorded in <c>service_schema_version</c>. Only the event table's numbering differs between
/// the two databases.
/// </summary>
internal static class ServiceSchema
{
    private const string Tables =
        """
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

    public static IReadOnlyList<string> Sqlite { get; } =
    [
        Tables +
        """
        CREATE TABLE service_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL, service TEXT NOT NULL, replica INTEGER NOT NULL,
            kind TEXT NOT NULL, message TEXT NOT NULL, at BIGINT NOT NULL
        );
        CREATE INDEX service_events_project ON service_events (project, seq);
        """,
    ];

    public static IReadOnlyList<string> Postgres { get; } =
    [
        Tables +
        """
        CREATE TABLE service_events (
            seq BIGSERIAL PRIMARY KEY,
            project TEXT NOT NULL, service TEXT NOT NULL, replica INTEGER NOT NULL,
            kind TEXT NOT NULL, message TEXT NOT NULL, at BIGINT NOT NULL
        );
        CREATE INDEX service_events_project ON service_events (project, seq);
        """,
    ];
}
