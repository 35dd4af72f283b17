namespace Hearth.Store.Sqlite;

/// <summary>Migrations, applied in order at start; each runs once, in its own transaction.</summary>
internal static class SqliteSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                spec TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                ended_at INTEGER,
                exit_code INTEGER,
                reason TEXT,
                stop_reason TEXT NOT NULL DEFAULT 'None',
                created_by TEXT,
                log_lines INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX runs_created ON runs(created_at DESC);
            CREATE INDEX runs_state ON runs(state, created_at DESC);

            CREATE TABLE tasks (
                id TEXT PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES runs(id),
                name TEXT NOT NULL,
                state TEXT NOT NULL,
                spec TEXT NOT NULL,
                requirements TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL,
                epoch INTEGER NOT NULL DEFAULT 0,
                agent_id TEXT,
                lease_expires_at INTEGER,
                started_at INTEGER,
                ended_at INTEGER,
                deadline INTEGER,
                stop_reason TEXT NOT NULL DEFAULT 'None',
                exit_code INTEGER,
                reason TEXT,
                history TEXT NOT NULL DEFAULT '[]',
                log_offset INTEGER NOT NULL DEFAULT 0,
                queued_at INTEGER NOT NULL
            );
            CREATE INDEX tasks_pending ON tasks(queued_at) WHERE state = 'Pending';
            CREATE INDEX tasks_leased ON tasks(lease_expires_at) WHERE state IN ('Leased', 'Running');
            CREATE INDEX tasks_deadline ON tasks(deadline) WHERE state IN ('Leased', 'Running') AND stop_reason = 'None';
            CREATE INDEX tasks_run ON tasks(run_id);

            CREATE TABLE log_lines (
                run_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                stream INTEGER NOT NULL,
                time INTEGER NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (run_id, seq)
            ) WITHOUT ROWID;

            CREATE TABLE agents (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                labels TEXT NOT NULL,
                capacity INTEGER NOT NULL,
                version TEXT NOT NULL,
                registered_at INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL
            );

            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            """,
        """
            ALTER TABLE tasks ADD COLUMN not_before INTEGER;
            """,
        """
            ALTER TABLE runs ADD COLUMN plan TEXT;
            ALTER TABLE log_lines ADD COLUMN task_id TEXT;
            """,
        """
            -- API keys moved to the access store (its own tables and migrations).
            DROP TABLE IF EXISTS api_keys;
            """,
        """
            -- Images registered with defaults (runvoy's "images register"): CPU and memory a run in them gets unless it asks.
            CREATE TABLE registered_images (
                reference TEXT PRIMARY KEY,
                cpus REAL,
                memory_bytes BIGINT,
                is_default INTEGER NOT NULL DEFAULT 0,
                registered_by TEXT NOT NULL,
                registered_at BIGINT NOT NULL
            );
            """,
        """
            -- Drain is the agent's state, not one server's memory: every server sharing the store stops giving it work.
            ALTER TABLE agents ADD COLUMN draining_since INTEGER;
            """,
        """
            -- Tasks carry their kind as data (command, workflow_step, service_replica, ci_job); existing tasks take their
            -- run's: a workflow's tasks are its steps.
            ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'command';
            UPDATE tasks SET kind = 'workflow_step' WHERE run_id IN (SELECT id FROM runs WHERE kind = 'workflow');
            """,
        """
            -- What each driver of an agent can do (filesystem isolation, network modes, ports, signals, exec, recover,
            -- limits), as the agent advertised it at registration: a JSON list of AgentDriverView.
            ALTER TABLE agents ADD COLUMN drivers TEXT NOT NULL DEFAULT '[]';
            """,
        """
            -- Idempotency keys: a front door that sends the same key (per user) gets the run it created the first time.
            -- request_hash tells a retry (same request) from a reuse of the key for another request.
            ALTER TABLE runs ADD COLUMN idempotency_key TEXT;
            ALTER TABLE runs ADD COLUMN request_hash TEXT;
            CREATE UNIQUE INDEX runs_idempotency ON runs(created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
            """,
        """
            -- Masking from the task: the secret values a task was given (step secrets, git credentials), encrypted under the
            -- secrets key, so any server masks its lines the same way, after a restart too.
            ALTER TABLE tasks ADD COLUMN secret_mask TEXT;
            """,
        """
            -- Startup breakdown of a task's current attempt: queued (queued_at), leased, sandbox started (started_at),
            -- first output and exited (the agent's clock, bounded), result stored (ended_at).
            ALTER TABLE tasks ADD COLUMN leased_at INTEGER;
            ALTER TABLE tasks ADD COLUMN first_output_at INTEGER;
            ALTER TABLE tasks ADD COLUMN exited_at INTEGER;
            """,
        """
            -- Webhook deliveries: one row per (repository, delivery id), written in the transaction that creates the runs the
            -- delivery started, so a delivery is either recorded with its runs or not at all; a repeat finds its row and
            -- does nothing. headers and body are scrubbed of secrets before they are stored.
            CREATE TABLE webhook_deliveries (
                repository TEXT NOT NULL,
                delivery_id TEXT NOT NULL,
                forge TEXT NOT NULL,
                event TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                headers TEXT NOT NULL,
                body TEXT NOT NULL,
                outcome TEXT NOT NULL,
                run_ids TEXT NOT NULL,
                PRIMARY KEY (repository, delivery_id)
            );
            CREATE INDEX webhook_deliveries_received ON webhook_deliveries(repository, received_at);
            """,
    ];
}
