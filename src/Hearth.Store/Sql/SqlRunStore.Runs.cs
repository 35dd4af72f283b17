using System.Data.Common;
using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    private const string RunColumns =
        "id, kind, state, spec, created_at, started_at, ended_at, exit_code, reason, stop_reason, created_by, log_lines, plan";

    /// <summary>The number of columns in <see cref="TaskColumns"/>: a query may read more after them.</summary>
    private protected const int TaskColumnCount = 23;

    private const string TaskColumns =
        "id, run_id, state, attempt, max_attempts, epoch, agent_id, lease_expires_at, started_at, ended_at, deadline, stop_reason, exit_code, reason, "
        + "history, name, not_before, kind, requirements, queued_at, leased_at, first_output_at, exited_at";

    public Task CreateRunAsync(Run run, IReadOnlyList<NewTask> tasks, CancellationToken ct) =>
        CreateRunAsync(run, tasks, null, ct);

    public async Task<CreatedRun> CreateRunAsync(
        Run run,
        IReadOnlyList<NewTask> tasks,
        IdempotencyKey? key,
        CancellationToken ct
    )
    {
        try
        {
            return await CreateRunOnceAsync(run, tasks, key, ct);
        }
        catch (DbException) when (key is not null)
        {
            // A request with the same key committed between our look-up and our insert: the unique index refused ours.
            await using var connection = await OpenAsync(ct);
            if (await FindByKeyAsync(connection, null, run.CreatedBy, key, ct) is { } first)
                return first;
            throw;
        }
    }

    private static async Task<CreatedRun?> FindByKeyAsync(
        DbConnection connection,
        DbTransaction? tx,
        string? createdBy,
        IdempotencyKey key,
        CancellationToken ct
    )
    {
        await using var command = Command(
            connection,
            tx,
            "SELECT id, request_hash FROM runs WHERE created_by = @by AND idempotency_key = @key;",
            ("@by", createdBy ?? ""),
            ("@key", key.Key)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new CreatedRun(reader.GetString(0), Created: false, SameRequest: Text(reader, 1) == key.RequestHash);
    }

    private async Task<CreatedRun> CreateRunOnceAsync(
        Run run,
        IReadOnlyList<NewTask> tasks,
        IdempotencyKey? key,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (key is not null && await FindByKeyAsync(connection, tx, run.CreatedBy, key, ct) is { } existing)
                return existing;
            await InsertRunAsync(connection, tx, run, tasks, key, ct);
            await tx.CommitAsync(ct);
            return new CreatedRun(run.Id, Created: true);
        }
    }

    /// <summary>The run and its tasks (taking their locks), inside the caller's write transaction.</summary>
    private async Task InsertRunAsync(
        DbConnection connection,
        DbTransaction tx,
        Run run,
        IReadOnlyList<NewTask> tasks,
        IdempotencyKey? key,
        CancellationToken ct
    )
    {
        // A keyed run is kept under its creator ("" for none), so the unique index (NULLs are distinct) holds for every
        // key.
        await ExecAsync(
            connection,
            tx,
            """
            INSERT INTO runs (id, kind, state, spec, created_at, created_by, plan, idempotency_key, request_hash)
            VALUES (@id, @kind, @state, @spec, @created, @by, @plan, @key, @hash);
            """,
            ct,
            ("@id", run.Id),
            ("@kind", run.Kind),
            ("@state", run.State.ToString()),
            ("@spec", Json(run.Spec)),
            ("@created", Ms(run.CreatedAt)),
            ("@by", key is null ? run.CreatedBy : run.CreatedBy ?? ""),
            ("@plan", run.Plan is null ? null : Json(run.Plan)),
            ("@key", key?.Key),
            ("@hash", key?.RequestHash)
        );
        foreach (var candidate in tasks)
        {
            var task = candidate;
            var locked =
                task.InitialState == TaskState.Pending
                    ? await TakeLockAsync(connection, tx, task.Id, run.Id, task.Spec, run.CreatedAt, ct)
                    : (true, null);
            if (!locked.Granted)
                task = task with { InitialState = TaskState.Waiting, InitialReason = locked.Reason };
            await ExecAsync(
                connection,
                tx,
                $"""
                INSERT INTO tasks (id, run_id, name, kind, state, spec, requirements, attempt, max_attempts, queued_at, reason, ended_at)
                VALUES (@id, @run, @name, @kind, @state, @spec, {JsonParameter(
                    "@req"
                )}, 1, @max, @queued, @reason, @ended);
                """,
                ct,
                ("@id", task.Id),
                ("@run", run.Id),
                ("@name", task.Name),
                ("@kind", TaskKinds.ToText(task.Kind)),
                ("@spec", Json(task.Spec)),
                ("@state", task.InitialState.ToString()),
                ("@reason", task.InitialReason),
                ("@ended", Transitions.Task.IsTerminal(task.InitialState) ? Ms(run.CreatedAt) : null),
                ("@req", Json(task.Spec.Requirements)),
                ("@max", task.Spec.Retry?.MaxAttempts ?? task.MaxAttempts),
                ("@queued", Ms(run.CreatedAt))
            );
            if (!locked.Granted)
                await NoteQueuedAsync(connection, tx, task.Id, task.Kind, run.Id, 1, locked.Reason!, run.CreatedAt, ct);
        }
    }

    public async Task<Run?> GetRunAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ReadRunAsync(connection, null, id, ct);
    }

    public async Task<RunTask?> GetTaskAsync(string taskId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            $"SELECT {TaskColumns} FROM tasks WHERE id = @id;",
            ("@id", taskId)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadTask(reader) : null;
    }

    public async Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var conditions = new List<string>();
        var parameters = new List<(string, object?)>();
        if (query.States is { Count: > 0 } states)
        {
            var names = states.Select((s, i) => $"@s{i}").ToList();
            conditions.Add($"state IN ({string.Join(", ", names)})");
            parameters.AddRange(states.Select((s, i) => ($"@s{i}", (object?)s.ToString())));
        }
        if (query.Kind is { } kind)
        {
            conditions.Add("kind = @kind");
            parameters.Add(("@kind", kind));
        }
        if (query.CreatedBy is { } createdBy)
        {
            conditions.Add("created_by = @createdBy");
            parameters.Add(("@createdBy", createdBy));
        }
        var where = conditions.Count > 0 ? "WHERE " + string.Join(" AND ", conditions) : "";
        var limit = "";
        if (query.Limit > 0)
        {
            limit = query.Offset > 0 ? "LIMIT @limit OFFSET @offset" : "LIMIT @limit";
            parameters.Add(("@limit", query.Limit));
            if (query.Offset > 0)
                parameters.Add(("@offset", query.Offset));
        }
        var selected = $"SELECT {RunColumns} FROM runs {where} ORDER BY created_at DESC, id {limit}";
        var runs = new List<Run>();
        await using (var command = Command(connection, null, selected + ";", [.. parameters]))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                runs.Add(ReadRun(reader));
        }
        // The tasks of the listed runs in one more query, so a listed run shows its attempt and agent as its status
        // does.
        var tasks = new Dictionary<string, List<RunTask>>(StringComparer.Ordinal);
        await using (
            var command = Command(
                connection,
                null,
                $"SELECT {TaskColumns} FROM tasks WHERE run_id IN (SELECT id FROM ({selected}) listed) ORDER BY {TaskOrder};",
                [.. parameters]
            )
        )
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var task = ReadTask(reader);
                if (!tasks.TryGetValue(task.RunId, out var list))
                    tasks[task.RunId] = list = [];
                list.Add(task);
            }
        }
        return runs.Select(r => tasks.TryGetValue(r.Id, out var own) ? r with { Tasks = own } : r).ToList();
    }

    public async Task<Run?> RequestStopAsync(
        string runId,
        StopReason reason,
        DateTimeOffset now,
        CancellationToken ct,
        string? by = null
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var plan = await DecideAndApplyAsync(connection, tx, runId, new StopRequested(reason, by, now), ct);
            if (!plan.IsEmpty)
                await tx.CommitAsync(ct);
            return await ReadRunAsync(connection, plan.IsEmpty ? tx : null, runId, ct);
        }
    }

    /// <summary>
    /// Reads a run and its tasks; with <paramref name="forUpdate"/>, locks the run's row, then its tasks' rows.
    /// </summary>
    private async Task<Run?> ReadRunAsync(
        DbConnection connection,
        DbTransaction? tx,
        string id,
        CancellationToken ct,
        bool forUpdate = false
    )
    {
        var lockRows = forUpdate ? ForUpdate : "";
        Run? run;
        await using (
            var command = Command(
                connection,
                tx,
                $"SELECT {RunColumns} FROM runs WHERE id = @id{lockRows};",
                ("@id", id)
            )
        )
        await using (var reader = await command.ExecuteReaderAsync(ct))
            run = await reader.ReadAsync(ct) ? ReadRun(reader) : null;
        if (run is null)
            return null;

        var tasks = new List<RunTask>();
        await using (
            var command = Command(
                connection,
                tx,
                $"SELECT {TaskColumns} FROM tasks WHERE run_id = @run ORDER BY {TaskOrder}{lockRows};",
                ("@run", id)
            )
        )
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                tasks.Add(ReadTask(reader));
        }
        return run with { Tasks = tasks };
    }

    private static Run ReadRun(DbDataReader r) =>
        new()
        {
            Id = r.GetString(0),
            Kind = r.GetString(1),
            State = Enum.Parse<RunState>(r.GetString(2)),
            Spec = FromJson<TaskSpec>(r.GetString(3)),
            CreatedAt = Time(r, 4)!.Value,
            StartedAt = Time(r, 5),
            EndedAt = Time(r, 6),
            ExitCode = Int(r, 7),
            Reason = Text(r, 8),
            StopReason = Enum.Parse<StopReason>(r.GetString(9)),
            CreatedBy = Text(r, 10),
            LogLines = r.GetInt64(11),
            Plan = r.IsDBNull(12) ? null : FromJson<WorkflowPlan>(r.GetString(12)),
        };

    private static RunTask ReadTask(DbDataReader r) =>
        new()
        {
            Id = r.GetString(0),
            RunId = r.GetString(1),
            State = Enum.Parse<TaskState>(r.GetString(2)),
            Attempt = r.GetInt32(3),
            MaxAttempts = r.GetInt32(4),
            Epoch = r.GetInt64(5),
            AgentId = Text(r, 6),
            LeaseExpiresAt = Time(r, 7),
            StartedAt = Time(r, 8),
            EndedAt = Time(r, 9),
            Deadline = Time(r, 10),
            StopReason = Enum.Parse<StopReason>(r.GetString(11)),
            ExitCode = Int(r, 12),
            Reason = Text(r, 13),
            History = FromJson<List<AttemptRecord>>(r.GetString(14)),
            Name = r.GetString(15),
            NotBefore = Time(r, 16),
            Kind = TaskKinds.Parse(r.GetString(17)),
            Requirements = FromJson<Dictionary<string, string>>(r.GetString(18)),
            QueuedAt = Time(r, 19),
            LeasedAt = Time(r, 20),
            FirstOutputAt = Time(r, 21),
            ExitedAt = Time(r, 22),
        };
}
