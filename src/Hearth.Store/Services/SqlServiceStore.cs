using System.Data.Common;
using Hearth.Core.Services;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Services;

/// <summary>
/// <see cref="IServiceStore"/> written once over ADO.NET; a dialect supplies connections and migrations.
/// </summary>
public abstract class SqlServiceStore : IServiceStore
{
    private const string ProjectColumns =
        "name, spec, created_by, created_at, updated_at, removing, remove_volumes, names_version";

    private const string ReplicaColumns =
        "project, service, replica, generation, run_id, task_id, agent, definition_hash, restarts, stopping, restart_requested, "
        + "health, failing_streak, health_output, addresses, last_phase, updated_at, next_generation, next_run_id, next_task_id, "
        + "next_agent, next_hash, next_health, next_failing_streak, next_health_output, next_addresses, next_last_phase, "
        + "failed_hash, failed_reason";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    public async Task<ProjectRecord> PutProjectAsync(
        ProjectSpec spec,
        string by,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            $"""
            INSERT INTO service_projects ({ProjectColumns}) VALUES (@name, @spec, @by, @now, @now, 0, 0, 0)
            ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at, removing = 0, remove_volumes = 0;
            """,
            ct,
            ("@name", spec.Name),
            ("@spec", Json(spec)),
            ("@by", by),
            ("@now", Ms(now))
        );
        return (await GetAsync(connection, spec.Name, ct))!;
    }

    public async Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await GetAsync(connection, name, ct);
    }

    private static async Task<ProjectRecord?> GetAsync(DbConnection connection, string name, CancellationToken ct) =>
        (
            await QueryAsync(
                connection,
                null,
                $"SELECT {ProjectColumns} FROM service_projects WHERE name = @name;",
                ReadProject,
                ct,
                ("@name", name)
            )
        ).SingleOrDefault();

    public async Task<IReadOnlyList<ProjectRecord>> ListProjectsAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"SELECT {ProjectColumns} FROM service_projects ORDER BY name;",
            ReadProject,
            ct
        );
    }

    public async Task<bool> ReplaceSpecAsync(
        string name,
        DateTimeOffset updatedAt,
        ProjectSpec spec,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(
                connection,
                null,
                "UPDATE service_projects SET spec = @spec WHERE name = @name AND updated_at = @at;",
                ct,
                ("@spec", Json(spec)),
                ("@name", name),
                ("@at", Ms(updatedAt))
            ) == 1;
    }

    public async Task<bool> MarkRemovingAsync(string name, bool removeVolumes, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(
                connection,
                null,
                "UPDATE service_projects SET removing = 1, remove_volumes = @volumes, updated_at = @now WHERE name = @name;",
                ct,
                ("@volumes", removeVolumes ? 1 : 0),
                ("@now", Ms(now)),
                ("@name", name)
            ) == 1;
    }

    public async Task<bool> DeleteProjectAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(connection, null, "DELETE FROM service_replicas WHERE project = @name;", ct, ("@name", name));
        return await ExecAsync(
                connection,
                null,
                "DELETE FROM service_projects WHERE name = @name;",
                ct,
                ("@name", name)
            ) == 1;
    }

    public async Task<IReadOnlyList<ReplicaRecord>> ListReplicasAsync(string project, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"SELECT {ReplicaColumns} FROM service_replicas WHERE project = @project ORDER BY service, replica;",
            ReadReplica,
            ct,
            ("@project", project)
        );
    }

    // What the agent reports of a task (health, addresses) is the report path's while the record keeps that task: a
    // save made from an older read must not undo a report that landed in between (the reconciler wakes on the running
    // report itself, before its addresses are written).
    private const string SameTask = "COALESCE(service_replicas.task_id, '') = COALESCE(excluded.task_id, '')";
    private const string SameNext = "COALESCE(service_replicas.next_task_id, '') = COALESCE(excluded.next_task_id, '')";

    public async Task SaveReplicaAsync(ReplicaRecord r, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            $"""
            INSERT INTO service_replicas ({ReplicaColumns})
            VALUES (@project, @service, @replica, @generation, @run, @task, @agent, @hash, @restarts, @stopping, @restart,
                    @health, @streak, @output, @addresses, @phase, @at, @ngeneration, @nrun, @ntask, @nagent, @nhash, @nhealth,
                    @nstreak, @noutput, @naddresses, @nphase, @failedhash, @failedreason)
            ON CONFLICT (project, service, replica) DO UPDATE SET
                generation = excluded.generation, run_id = excluded.run_id, task_id = excluded.task_id, agent = excluded.agent,
                definition_hash = excluded.definition_hash, restarts = excluded.restarts, stopping = excluded.stopping,
                restart_requested = excluded.restart_requested,
                health = CASE WHEN {SameTask} THEN service_replicas.health ELSE excluded.health END,
                failing_streak = CASE WHEN {SameTask} THEN service_replicas.failing_streak ELSE excluded.failing_streak END,
                health_output = CASE WHEN {SameTask} THEN service_replicas.health_output ELSE excluded.health_output END,
                addresses = CASE WHEN {SameTask} THEN service_replicas.addresses ELSE excluded.addresses END,
                last_phase = excluded.last_phase,
                updated_at = excluded.updated_at, next_generation = excluded.next_generation, next_run_id = excluded.next_run_id,
                next_task_id = excluded.next_task_id, next_agent = excluded.next_agent, next_hash = excluded.next_hash,
                next_health = CASE WHEN {SameNext} THEN service_replicas.next_health ELSE excluded.next_health END,
                next_failing_streak = CASE WHEN {SameNext} THEN service_replicas.next_failing_streak ELSE excluded.next_failing_streak END,
                next_health_output = CASE WHEN {SameNext} THEN service_replicas.next_health_output ELSE excluded.next_health_output END,
                next_addresses = CASE WHEN {SameNext} THEN service_replicas.next_addresses ELSE excluded.next_addresses END,
                next_last_phase = excluded.next_last_phase, failed_hash = excluded.failed_hash, failed_reason = excluded.failed_reason;
            """,
            ct,
            ("@project", r.Project),
            ("@service", r.Service),
            ("@replica", r.Replica),
            ("@generation", r.Generation),
            ("@run", r.RunId),
            ("@task", r.TaskId),
            ("@agent", r.Agent),
            ("@hash", r.DefinitionHash),
            ("@restarts", r.Restarts),
            ("@stopping", r.Stopping ? 1 : 0),
            ("@restart", r.RestartRequested ? 1 : 0),
            ("@health", Enum(r.Health)),
            ("@streak", r.FailingStreak),
            ("@output", r.HealthOutput),
            ("@addresses", r.Addresses is null ? null : Json(r.Addresses)),
            ("@phase", Enum(r.LastPhase)),
            ("@at", Ms(r.UpdatedAt)),
            ("@ngeneration", r.Next?.Generation),
            ("@nrun", r.Next?.RunId),
            ("@ntask", r.Next?.TaskId),
            ("@nagent", r.Next?.Agent),
            ("@nhash", r.Next?.DefinitionHash),
            ("@nhealth", r.Next is { } h ? Enum(h.Health) : null),
            ("@nstreak", r.Next?.FailingStreak),
            ("@noutput", r.Next?.HealthOutput),
            ("@naddresses", r.Next?.Addresses is { } a ? Json(a) : null),
            ("@nphase", r.Next is { } p ? Enum(p.LastPhase) : null),
            ("@failedhash", r.FailedHash),
            ("@failedreason", r.FailedReason)
        );
    }

    public async Task DeleteReplicaAsync(string project, string service, int replica, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "DELETE FROM service_replicas WHERE project = @p AND service = @s AND replica = @r;",
            ct,
            ("@p", project),
            ("@s", service),
            ("@r", replica)
        );
    }

    public async Task<ReplicaRecord?> FindReplicaByTaskAsync(string taskId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await FindAsync(connection, taskId, ct);
    }

    private static async Task<ReplicaRecord?> FindAsync(DbConnection connection, string taskId, CancellationToken ct) =>
        (
            await QueryAsync(
                connection,
                null,
                $"SELECT {ReplicaColumns} FROM service_replicas WHERE task_id = @task OR next_task_id = @task;",
                ReadReplica,
                ct,
                ("@task", taskId)
            )
        ).FirstOrDefault();

    public async Task<ReplicaRecord?> RecordHealthAsync(
        string taskId,
        ReplicaHealth health,
        int failingStreak,
        string? output,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        var rows = await ExecAsync(
            connection,
            null,
            """
            UPDATE service_replicas SET health = @health, failing_streak = @streak, health_output = @output, updated_at = @now
            WHERE task_id = @task;
            """,
            ct,
            ("@health", Enum(health)),
            ("@streak", failingStreak),
            ("@output", output),
            ("@now", Ms(now)),
            ("@task", taskId)
        );
        rows += await ExecAsync(
            connection,
            null,
            """
            UPDATE service_replicas SET next_health = @health, next_failing_streak = @streak, next_health_output = @output,
                updated_at = @now
            WHERE next_task_id = @task;
            """,
            ct,
            ("@health", Enum(health)),
            ("@streak", failingStreak),
            ("@output", output),
            ("@now", Ms(now)),
            ("@task", taskId)
        );
        return rows == 0 ? null : await FindAsync(connection, taskId, ct);
    }

    public async Task<ReplicaRecord?> RecordAddressesAsync(
        string taskId,
        IReadOnlyDictionary<string, string> addresses,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        var rows = await ExecAsync(
            connection,
            null,
            "UPDATE service_replicas SET addresses = @addresses, updated_at = @now WHERE task_id = @task;",
            ct,
            ("@addresses", Json(addresses)),
            ("@now", Ms(now)),
            ("@task", taskId)
        );
        // A roll's new replica: its addresses wait beside it and become the replica's when it takes the old one's
        // place.
        if (rows == 0)
        {
            return
                await ExecAsync(
                    connection,
                    null,
                    "UPDATE service_replicas SET next_addresses = @addresses, updated_at = @now WHERE next_task_id = @task;",
                    ct,
                    ("@addresses", Json(addresses)),
                    ("@now", Ms(now)),
                    ("@task", taskId)
                ) == 0
                ? null
                : await FindAsync(connection, taskId, ct);
        }
        var replica = await FindAsync(connection, taskId, ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE service_projects SET names_version = names_version + 1 WHERE name = @name;",
            ct,
            ("@name", replica!.Project)
        );
        return replica;
    }

    public async Task BumpNamesAsync(string project, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE service_projects SET names_version = names_version + 1 WHERE name = @name;",
            ct,
            ("@name", project)
        );
    }

    public async Task AppendEventAsync(NewServiceEvent e, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "INSERT INTO service_events (project, service, replica, kind, message, at) VALUES (@p, @s, @r, @kind, @message, @at);",
            ct,
            ("@p", e.Project),
            ("@s", e.Service),
            ("@r", e.Replica),
            ("@kind", Enum(e.Kind)),
            ("@message", e.Message),
            ("@at", Ms(e.At))
        );
    }

    public async Task<IReadOnlyList<ServiceEventView>> ListEventsAsync(
        string? project,
        long afterSeq,
        int limit,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        var ofProject = project is null ? "" : " AND project = @project";
        return await QueryAsync(
            connection,
            null,
            $"""
            SELECT seq, project, service, replica, kind, message, at FROM service_events
            WHERE seq > @after{ofProject} ORDER BY seq LIMIT @limit;
            """,
            r => new ServiceEventView(
                r.GetInt64(0),
                r.GetString(1),
                r.GetString(2),
                r.GetInt32(3),
                System.Enum.Parse<ReplicaEventKind>(r.GetString(4)),
                r.GetString(5),
                Time(r, 6)!.Value
            ),
            ct,
            ("@after", afterSeq),
            ("@project", project),
            ("@limit", limit)
        );
    }

    private static string Enum<T>(T value)
        where T : struct, System.Enum => value.ToString();

    private static ProjectRecord ReadProject(DbDataReader r) =>
        new(
            r.GetString(0),
            FromJson<ProjectSpec>(r.GetString(1)),
            r.GetString(2),
            Time(r, 3)!.Value,
            Time(r, 4)!.Value,
            r.GetInt32(5) != 0,
            r.GetInt64(7)
        )
        {
            RemoveVolumes = r.GetInt32(6) != 0,
        };

    private static ReplicaRecord ReadReplica(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2))
        {
            Generation = r.GetInt32(3),
            RunId = Text(r, 4),
            TaskId = Text(r, 5),
            Agent = Text(r, 6),
            DefinitionHash = Text(r, 7),
            Restarts = r.GetInt32(8),
            Stopping = r.GetInt32(9) != 0,
            RestartRequested = r.GetInt32(10) != 0,
            Health = System.Enum.Parse<ReplicaHealth>(r.GetString(11)),
            FailingStreak = r.GetInt32(12),
            HealthOutput = Text(r, 13),
            Addresses = Text(r, 14) is { } json ? FromJson<Dictionary<string, string>>(json) : null,
            LastPhase = System.Enum.Parse<ReplicaPhase>(r.GetString(15)),
            UpdatedAt = Time(r, 16)!.Value,
            Next = Text(r, 19) is { } nextTask
                ? new SuccessorRecord(r.GetInt32(17), Text(r, 18)!, nextTask, Text(r, 20)!, Text(r, 21)!)
                {
                    Health = System.Enum.Parse<ReplicaHealth>(Text(r, 22)!),
                    FailingStreak = r.GetInt32(23),
                    HealthOutput = Text(r, 24),
                    Addresses = Text(r, 25) is { } next ? FromJson<Dictionary<string, string>>(next) : null,
                    LastPhase = System.Enum.Parse<ReplicaPhase>(Text(r, 26)!),
                }
                : null,
            FailedHash = Text(r, 27),
            FailedReason = Text(r, 28),
        };
}
