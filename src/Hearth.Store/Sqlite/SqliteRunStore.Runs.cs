using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Sqlite;

public sealed partial class SqliteRunStore
{
    private const string RunColumns = "id, kind, state, spec, created_at, started_at, ended_at, exit_code, reason, stop_reason, created_by, log_lines";

    private const string TaskColumns =
        "id, run_id, state, attempt, max_attempts, epoch, agent_id, lease_expires_at, started_at, ended_at, deadline, stop_reason, exit_code, reason, history";

    public async Task CreateRunAsync(Run run, IReadOnlyList<NewTask> tasks, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            await ExecAsync(connection, tx,
                "INSERT INTO runs (id, kind, state, spec, created_at, created_by) VALUES ($id, $kind, $state, $spec, $created, $by);", ct,
                ("$id", run.Id), ("$kind", run.Kind), ("$state", run.State.ToString()), ("$spec", Json(run.Spec)),
                ("$created", Ms(run.CreatedAt)), ("$by", run.CreatedBy));
            foreach (var task in tasks)
            {
                await ExecAsync(connection, tx,
                    """
                    INSERT INTO tasks (id, run_id, name, state, spec, requirements, attempt, max_attempts, queued_at)
                    VALUES ($id, $run, $name, 'Pending', $spec, $req, 1, $max, $queued);
                    """, ct,
                    ("$id", task.Id), ("$run", run.Id), ("$name", task.Name), ("$spec", Json(task.Spec)),
                    ("$req", Json(task.Spec.Requirements)), ("$max", task.MaxAttempts), ("$queued", Ms(run.CreatedAt)));
            }
            await tx.CommitAsync(ct);
        }
    }

    public async Task<Run?> GetRunAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        Run? run;
        await using (var command = Command(connection, null, $"SELECT {RunColumns} FROM runs WHERE id = $id;", ("$id", id)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            run = await reader.ReadAsync(ct) ? ReadRun(reader) : null;
        if (run is null) return null;
        return run with { Tasks = await ReadTasksAsync(connection, null, id, ct) };
    }

    public async Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var where = "";
        var parameters = new List<(string, object?)> { ("$limit", query.Limit <= 0 ? -1 : query.Limit) };
        if (query.States is { Count: > 0 } states)
        {
            var names = states.Select((s, i) => $"$s{i}").ToList();
            where = $"WHERE state IN ({string.Join(", ", names)})";
            parameters.AddRange(states.Select((s, i) => ($"$s{i}", (object?)s.ToString())));
        }
        await using var command = Command(connection, null, $"SELECT {RunColumns} FROM runs {where} ORDER BY created_at DESC, id LIMIT $limit;", [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var runs = new List<Run>();
        while (await reader.ReadAsync(ct)) runs.Add(ReadRun(reader));
        return runs;
    }

    public async Task<Run?> RequestStopAsync(string runId, StopReason reason, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var run = await ReadRunAsync(connection, tx, runId, ct);
            if (run is null) return null;
            if (Transitions.Run.IsTerminal(run.State) || run.State == RunState.Terminating) return run;

            var tasks = await ReadTasksAsync(connection, tx, runId, ct);
            var terminal = reason == StopReason.TimedOut ? TaskState.TimedOut : TaskState.Stopped;
            foreach (var task in tasks.Where(t => !Transitions.Task.IsTerminal(t.State)))
            {
                if (task.State == TaskState.Pending)
                {
                    Transitions.Task.Check(task.State, terminal);
                    await ExecAsync(connection, tx,
                        "UPDATE tasks SET state = $state, stop_reason = $reason, ended_at = $now, reason = $why WHERE id = $id;", ct,
                        ("$state", terminal.ToString()), ("$reason", reason.ToString()), ("$now", Ms(now)),
                        ("$why", reason == StopReason.TimedOut ? "timed out before it started" : "killed before it started"), ("$id", task.Id));
                }
                else
                {
                    await ExecAsync(connection, tx, "UPDATE tasks SET stop_reason = $reason WHERE id = $id;", ct,
                        ("$reason", reason.ToString()), ("$id", task.Id));
                }
            }

            var stillRunning = tasks.Any(t => t.State is TaskState.Leased or TaskState.Running);
            var next = stillRunning ? RunState.Terminating : Outcome.ToRunState(terminal);
            Transitions.Run.Check(run.State, next);
            await ExecAsync(connection, tx,
                "UPDATE runs SET state = $state, stop_reason = $reason, ended_at = $ended, reason = $why WHERE id = $id;", ct,
                ("$state", next.ToString()), ("$reason", reason.ToString()), ("$ended", stillRunning ? null : Ms(now)),
                ("$why", stillRunning ? null : reason == StopReason.TimedOut ? "timed out before it started" : "killed before it started"),
                ("$id", runId));
            await AppendSystemLineAsync(connection, tx, runId, tasks.Max(t => t.Attempt), now,
                reason == StopReason.TimedOut ? "hearth: timeout reached, stopping" : "hearth: kill requested, stopping", ct);
            await tx.CommitAsync(ct);
            return await ReadRunAsync(connection, null, runId, ct);
        }
    }

    private async Task<Run?> ReadRunAsync(SqliteConnection connection, SqliteTransaction? tx, string id, CancellationToken ct)
    {
        Run? run;
        await using (var command = Command(connection, tx, $"SELECT {RunColumns} FROM runs WHERE id = $id;", ("$id", id)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            run = await reader.ReadAsync(ct) ? ReadRun(reader) : null;
        return run is null ? null : run with { Tasks = await ReadTasksAsync(connection, tx, id, ct) };
    }

    private static async Task<IReadOnlyList<RunTask>> ReadTasksAsync(SqliteConnection connection, SqliteTransaction? tx, string runId, CancellationToken ct)
    {
        await using var command = Command(connection, tx, $"SELECT {TaskColumns} FROM tasks WHERE run_id = $run ORDER BY rowid;", ("$run", runId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tasks = new List<RunTask>();
        while (await reader.ReadAsync(ct)) tasks.Add(ReadTask(reader));
        return tasks;
    }

    private static Run ReadRun(SqliteDataReader r) => new()
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
    };

    private static RunTask ReadTask(SqliteDataReader r) => new()
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
    };

    /// <summary>Writes a line of Hearth's own into the run's log, numbered like any other.</summary>
    private static async Task AppendSystemLineAsync(SqliteConnection connection, SqliteTransaction tx, string runId, int attempt, DateTimeOffset now, string text, CancellationToken ct)
    {
        var seq = (long)(await ScalarAsync(connection, tx, "SELECT log_lines FROM runs WHERE id = $id;", ct, ("$id", runId)))!;
        await ExecAsync(connection, tx,
            "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text) VALUES ($run, $seq, $attempt, $stream, $time, $text);", ct,
            ("$run", runId), ("$seq", seq), ("$attempt", attempt), ("$stream", (int)LogStream.System), ("$time", Ms(now)), ("$text", text));
        await ExecAsync(connection, tx, "UPDATE runs SET log_lines = log_lines + 1 WHERE id = $id;", ct, ("$id", runId));
    }
}
