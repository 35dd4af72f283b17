namespace Hearth.Store.Postgres;

/// <summary>
/// Migrations, applied in order at start under an advisory lock; each runs once. Times are Unix milliseconds, as in
/// SQLite.
/// </summary>
internal static class PostgresSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE runs (
                id text PRIMARY KEY,
                kind text NOT NULL,
                state text NOT NULL,
                spec text NOT NULL,
                created_at bigint NOT NULL,
                started_at bigint,
                ended_at bigint,
                exit_code integer,
                reason text,
                stop_reason text NOT NULL DEFAULT 'None',
                created_by text,
                log_lines bigint NOT NULL DEFAULT 0
            );
            CREATE INDEX runs_created ON runs (created_at DESC);
            CREATE INDEX runs_state ON runs (state, created_at DESC);

            CREATE TABLE tasks (
                ordinal bigint GENERATED ALWAYS AS IDENTITY,
                id text PRIMARY KEY,
                run_id text NOT NULL REFERENCES runs (id),
                name text NOT NULL,
                state text NOT NULL,
                spec text NOT NULL,
                requirements jsonb NOT NULL,
                attempt integer NOT NULL,
                max_attempts integer NOT NULL,
                epoch bigint NOT NULL DEFAULT 0,
                agent_id text,
                lease_expires_at bigint,
                started_at bigint,
                ended_at bigint,
                deadline bigint,
                stop_reason text NOT NULL DEFAULT 'None',
                exit_code integer,
                reason text,
                history text NOT NULL DEFAULT '[]',
                log_offset bigint NOT NULL DEFAULT 0,
                queued_at bigint NOT NULL,
                not_before bigint
            );
            CREATE INDEX tasks_pending ON tasks (queued_at, id) WHERE state = 'Pending';
            CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE state IN ('Leased', 'Running');
            CREATE INDEX tasks_deadline ON tasks (deadline) WHERE state IN ('Leased', 'Running') AND stop_reason = 'None';
            CREATE INDEX tasks_run ON tasks (run_id, ordinal);

            CREATE TABLE log_lines (
                run_id text NOT NULL,
                seq bigint NOT NULL,
                attempt integer NOT NULL,
                stream integer NOT NULL,
                time bigint NOT NULL,
                text text NOT NULL,
                PRIMARY KEY (run_id, seq)
            );

            CREATE TABLE agents (
                id text PRIMARY KEY,
                name text NOT NULL,
                labels text NOT NULL,
                capacity integer NOT NULL,
                version text NOT NULL,
                registered_at bigint NOT NULL,
                last_seen_at bigint NOT NULL
            );

            CREATE TABLE api_keys (
                id text PRIMARY KEY,
                hash text NOT NULL UNIQUE,
                kind text NOT NULL,
                name text NOT NULL,
                role text NOT NULL,
                created_at bigint NOT NULL,
                revoked_at bigint
            );
            """,
        """
            ALTER TABLE runs ADD COLUMN plan text;
            ALTER TABLE log_lines ADD COLUMN task_id text;
            """,
        """
            -- API keys moved to the access store (its own tables and migrations).
            DROP TABLE IF EXISTS api_keys;
            """,
        """
            -- Images registered with defaults (runvoy's "images register"): CPU and memory a run in them gets unless it asks.
            CREATE TABLE registered_images (
                reference TEXT PRIMARY KEY,
                cpus double precision,
                memory_bytes BIGINT,
                is_default INTEGER NOT NULL DEFAULT 0,
                registered_by TEXT NOT NULL,
                registered_at BIGINT NOT NULL
            );
            """,
        """
            -- Drain is the agent's state, not one server's memory: every server sharing the store stops giving it work.
            ALTER TABLE agents ADD COLUMN draining_since bigint;
            """,
        """
            -- Tasks carry their kind as data (command, workflow_step, service_replica, ci_job); existing tasks take their
            -- run's: a workflow's tasks are its steps.
            ALTER TABLE tasks ADD COLUMN kind text NOT NULL DEFAULT 'command';
            UPDATE tasks SET kind = 'workflow_step' WHERE run_id IN (SELECT id FROM runs WHERE kind = 'workflow');
            """,
        """
            -- What each driver of an agent can do (filesystem isolation, network modes, ports, signals, exec, recover,
            -- limits), as the agent advertised it at registration: a JSON list of AgentDriverView.
            ALTER TABLE agents ADD COLUMN drivers text NOT NULL DEFAULT '[]';
            """,
        """
            -- Idempotency keys: a front door that sends the same key (per user) gets the run it created the first time.
            -- request_hash tells a retry (same request) from a reuse of the key for another request.
            ALTER TABLE runs ADD COLUMN idempotency_key text;
            ALTER TABLE runs ADD COLUMN request_hash text;
            CREATE UNIQUE INDEX runs_idempotency ON runs(created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
            """,
        """
            -- Masking from the task: the secret values a task was given (step secrets, git credentials), encrypted under the
            -- secrets key, so any server masks its lines the same way, after a restart too.
            ALTER TABLE tasks ADD COLUMN secret_mask text;
            """,
        """
            -- Startup breakdown of a task's current attempt: queued (queued_at), leased, sandbox started (started_at),
            -- first output and exited (the agent's clock, bounded), result stored (ended_at).
            ALTER TABLE tasks ADD COLUMN leased_at bigint;
            ALTER TABLE tasks ADD COLUMN first_output_at bigint;
            ALTER TABLE tasks ADD COLUMN exited_at bigint;
            """,
        """
            -- Webhook deliveries: one row per (repository, delivery id), written in the transaction that creates the runs the
            -- delivery started, so a delivery is either recorded with its runs or not at all; a repeat finds its row and
            -- does nothing. headers and body are scrubbed of secrets before they are stored.
            CREATE TABLE webhook_deliveries (
                repository text NOT NULL,
                delivery_id text NOT NULL,
                forge text NOT NULL,
                event text NOT NULL,
                received_at bigint NOT NULL,
                headers text NOT NULL,
                body text NOT NULL,
                outcome text NOT NULL,
                run_ids text NOT NULL,
                PRIMARY KEY (repository, delivery_id)
            );
            CREATE INDEX webhook_deliveries_received ON webhook_deliveries(repository, received_at);
            """,
    ];
}
