using System.Data.Common;
using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<Lease?> ClaimAsync(ClaimRequest request, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var lease = await ClaimInAsync(connection, tx, request, ct);
            if (lease is not null)
                await tx.CommitAsync(ct);
            return lease;
        }
    }

    public async Task<(WriteResult Written, Lease? Next)> CompleteAndClaimAsync(
        string taskId,
        long epoch,
        Completion completion,
        DateTimeOffset now,
        ClaimRequest next,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var written = await CompleteInAsync(connection, tx, taskId, epoch, completion, now, ct);
            if (!Commits(written))
                return (written, null);
            var lease = await ClaimInAsync(connection, tx, next, ct);
            await tx.CommitAsync(ct);
            return (written, lease);
        }
    }

    private async Task<Lease?> ClaimInAsync(
        DbConnection connection,
        DbTransaction tx,
        ClaimRequest request,
        CancellationToken ct
    )
    {
        var statement = await ClaimStatementAsync(connection, tx, request, ct);
        if (statement is null)
            return null;

        var expires = request.Now + request.LeaseTtl;
        Transitions.Task.Check(TaskState.Pending, TaskState.Leased);
        await using var command = Command(connection, tx, statement.Value.Sql, statement.Value.Parameters);
        Add(command, "@agent", request.AgentId);
        Add(command, "@expires", Ms(expires));
        Add(command, "@leased", Ms(request.Now));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new Lease(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetInt32(3),
                FromJson<TaskSpec>(reader.GetString(4)),
                expires
            )
            {
                Kind = TaskKinds.Parse(reader.GetString(5)),
            }
            : null;
    }

    /// <summary>The claim's UPDATE, given the SQL expression that picks the task to take.</summary>
    private protected static string ClaimUpdate(string target) =>
        $"""
            UPDATE tasks SET state = 'Leased', epoch = epoch + 1, agent_id = @agent, lease_expires_at = @expires, log_offset = 0, not_before = NULL,
                leased_at = @leased, first_output_at = NULL, exited_at = NULL
            WHERE id = {target} AND state = 'Pending'
            RETURNING id, run_id, epoch, attempt, spec, kind;
            """;

    public async Task<WriteResult> ReleaseAsync(string taskId, long epoch, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted)
                return new WriteResult(task.Status);
            Transitions.Task.Check(task.State, TaskState.Pending);
            await ExecAsync(
                connection,
                tx,
                "UPDATE tasks SET state = 'Pending', agent_id = NULL, lease_expires_at = NULL, deadline = NULL WHERE id = @id;",
                ct,
                ("@id", taskId)
            );
            await tx.CommitAsync(ct);
            return WriteResult.Accepted;
        }
    }

    public async Task<WriteResult> MarkRunningAsync(
        string taskId,
        long epoch,
        DateTimeOffset startedAt,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var (runState, task) = await LockRunAndReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            // A running report overtaken by its own attempt's result (a short run, a kill) is moot, not stale.
            if (EndedUnderThisEpoch(task, epoch))
                return WriteResult.Accepted with { RunId = task.RunId };
            if (task.Status != WriteStatus.Accepted)
                return new WriteResult(task.Status);
            if (task.State == TaskState.Running)
                return WriteResult.Accepted with { RunId = task.RunId };
            await StartAsync(connection, tx, task, runState!.Value, startedAt, ct);
            await tx.CommitAsync(ct);
            return WriteResult.Accepted with { RunId = task.RunId };
        }
    }

    /// <summary>
    /// LEASED to RUNNING (and a STARTING run with it); returns the run's state after. The run's row must be locked.
    /// </summary>
    private static async Task<RunState> StartAsync(
        DbConnection connection,
        DbTransaction tx,
        LeasedTask task,
        RunState runState,
        DateTimeOffset startedAt,
        CancellationToken ct
    )
    {
        Transitions.Task.Check(task.State, TaskState.Running);
        var spec = FromJson<TaskSpec>(task.Spec);
        await ExecAsync(
            connection,
            tx,
            "UPDATE tasks SET state = 'Running', started_at = @now, deadline = @deadline WHERE id = @id;",
            ct,
            ("@now", Ms(startedAt)),
            ("@deadline", spec.Timeout is { } t ? Ms(startedAt + t) : null),
            ("@id", task.Id)
        );
        if (runState != RunState.Starting)
            return runState;
        Transitions.Run.Check(runState, RunState.Running);
        await ExecAsync(
            connection,
            tx,
            "UPDATE runs SET state = 'Running', started_at = COALESCE(started_at, @now) WHERE id = @id;",
            ct,
            ("@now", Ms(startedAt)),
            ("@id", task.RunId)
        );
        return RunState.Running;
    }

    public async Task<HeartbeatResult> HeartbeatAsync(
        string taskId,
        long epoch,
        DateTimeOffset now,
        TimeSpan leaseTtl,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            // A heartbeat that crosses the result of its own attempt (a kill or timeout ends the task while the agent
            // still renews it) is answered "ended", not refused as stale: no other attempt owns the task.
            if (EndedUnderThisEpoch(task, epoch))
                return new HeartbeatResult(WriteStatus.Accepted, task.StopReason, Ended: true);
            if (task.Status != WriteStatus.Accepted)
                return new HeartbeatResult(task.Status);
            var expires = now + leaseTtl;
            // A lease with more than half its time left is not rewritten: a heartbeat right after the grant costs no
            // write.
            await ExecAsync(
                connection,
                tx,
                "UPDATE tasks SET lease_expires_at = @expires WHERE id = @id AND (lease_expires_at IS NULL OR lease_expires_at < @half);",
                ct,
                ("@expires", Ms(expires)),
                ("@id", taskId),
                ("@half", Ms(now + leaseTtl / 2))
            );
            await tx.CommitAsync(ct);
            return new HeartbeatResult(WriteStatus.Accepted, task.StopReason, expires);
        }
    }

    public Task<WriteResult> CompleteAsync(
        string taskId,
        long epoch,
        TaskResult result,
        DateTimeOffset now,
        CancellationToken ct
    ) => CompleteAsync(taskId, epoch, new Completion(result), now, ct);

    public async Task<WriteResult> CompleteAsync(
        string taskId,
        long epoch,
        Completion completion,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var written = await CompleteInAsync(connection, tx, taskId, epoch, completion, now, ct);
            if (Commits(written))
                await tx.CommitAsync(ct);
            return written;
        }
    }

    /// <summary>
    /// Whether a completion wrote anything: a stale epoch, an unknown task and a log gap write nothing.
    /// </summary>
    private static bool Commits(WriteResult written) =>
        written.Status == WriteStatus.Accepted && written.LogGapAt is null;

    private async Task<WriteResult> CompleteInAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        long epoch,
        Completion completion,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var (_, task) = await LockRunAndReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
        if (task.Status != WriteStatus.Accepted)
            return new WriteResult(task.Status);
        if (completion.Lines is { Count: > 0 } lines)
        {
            if (completion.LogOffset > task.LogOffset)
                return new WriteResult(WriteStatus.Accepted, LogGapAt: task.LogOffset);
            await InsertAgentLinesAsync(connection, tx, task, completion.LogOffset, lines, ct);
        }
        await NoteTimingsAsync(connection, tx, taskId, completion, ct);
        var plan = await DecideAndApplyAsync(
            connection,
            tx,
            task.RunId,
            new TaskReported(taskId, completion.Result, completion.StartedAt, now),
            ct
        );
        var queuedWork = plan.ReleasesLock || plan.Tasks.Any(t => t.To == TaskState.Pending);
        return (queuedWork ? WriteResult.AcceptedFreeingLock : WriteResult.Accepted) with { RunId = task.RunId };
    }

    public async Task<IReadOnlyList<string>> RescueExpiredAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var candidates = new List<(string Id, string RunId)>();
            await using (
                var command = Command(
                    connection,
                    tx,
                    """
                    SELECT id, run_id FROM tasks
                    WHERE state IN ('Leased', 'Running') AND lease_expires_at < @now ORDER BY lease_expires_at, id LIMIT @limit;
                    """,
                    ("@now", Ms(now)),
                    ("@limit", limit)
                )
            )
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    candidates.Add((reader.GetString(0), reader.GetString(1)));
            }

            var rescued = new List<string>();
            foreach (
                var (id, runId) in candidates
                    .OrderBy(c => c.RunId, StringComparer.Ordinal)
                    .ThenBy(c => c.Id, StringComparer.Ordinal)
            )
            {
                await ScalarAsync(
                    connection,
                    tx,
                    $"SELECT state FROM runs WHERE id = @id{ForUpdate};",
                    ct,
                    ("@id", runId)
                );
                // Read again under the lock: a heartbeat or a result may have got there first.
                var task = await ReadExpiredTaskAsync(connection, tx, id, now, ct);
                if (task is null)
                    continue;
                await DecideAndApplyAsync(connection, tx, runId, new LeaseExpired(id, now), ct);
                if (!rescued.Contains(runId))
                    rescued.Add(runId);
            }
            await tx.CommitAsync(ct);
            return rescued;
        }
    }

    public async Task<IReadOnlyList<string>> FindOverdueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            """
            SELECT DISTINCT run_id FROM tasks
            WHERE state IN ('Leased', 'Running') AND stop_reason = 'None' AND deadline IS NOT NULL AND deadline <= @now LIMIT @limit;
            """,
            ("@now", Ms(now)),
            ("@limit", limit)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(ct))
            ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>
    /// The task has ended and no other attempt was granted since: a late write of this attempt, not a stale one.
    /// </summary>
    private static bool EndedUnderThisEpoch(LeasedTask task, long epoch) =>
        task.Status == WriteStatus.Stale && task.Epoch == epoch && Transitions.Task.IsTerminal(task.State);

    private protected readonly record struct LeasedTask(
        WriteStatus Status,
        string Id,
        string RunId,
        TaskState State,
        StopReason StopReason,
        long LogOffset,
        int Attempt,
        int MaxAttempts,
        string? AgentId,
        string History,
        string Spec,
        long Epoch = 0,
        TaskKind Kind = TaskKind.Command
    );

    private const string LeasedTaskColumns =
        "run_id, state, epoch, stop_reason, log_offset, attempt, max_attempts, agent_id, history, spec, kind";

    private string ReadLeasedTaskSql => $"SELECT {LeasedTaskColumns} FROM tasks WHERE id = @id{ForUpdate};";

    /// <summary>
    /// Locks the row of the task's run, so that run-wide reads and writes (log numbering, the run's outcome) see no
    /// concurrent change, and reads the run's state (no row when there is no such task).
    /// </summary>
    private string LockRunOfTaskSql =>
        $"SELECT state FROM runs WHERE id = (SELECT run_id FROM tasks WHERE id = @id){ForUpdate};";

    /// <summary>
    /// Reads (and locks) a task for a write by its lease holder: NotFound, Stale (another epoch, or no longer leased),
    /// or Accepted.
    /// </summary>
    private async Task<LeasedTask> ReadLeasedTaskAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        long epoch,
        CancellationToken ct
    )
    {
        await using var command = Command(connection, tx, ReadLeasedTaskSql, ("@id", taskId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadLeasedTaskAsync(reader, taskId, epoch, ct);
    }

    /// <summary>
    /// <see cref="LockRunOfTaskSql"/> then
    /// <see cref="ReadLeasedTaskAsync(DbConnection, DbTransaction, string, long, CancellationToken)"/>, in that lock
    /// order, sent as one command: one round trip to a database server instead of two.
    /// </summary>
    private async Task<(RunState? RunState, LeasedTask Task)> LockRunAndReadLeasedTaskAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        long epoch,
        CancellationToken ct
    )
    {
        await using var command = Command(connection, tx, LockRunOfTaskSql + "\n" + ReadLeasedTaskSql, ("@id", taskId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        RunState? runState = await reader.ReadAsync(ct) ? Enum.Parse<RunState>(reader.GetString(0)) : null;
        await reader.NextResultAsync(ct);
        return (runState, await ReadLeasedTaskAsync(reader, taskId, epoch, ct));
    }

    private static async Task<LeasedTask> ReadLeasedTaskAsync(
        DbDataReader reader,
        string taskId,
        long epoch,
        CancellationToken ct
    )
    {
        if (!await reader.ReadAsync(ct))
            return new LeasedTask
            {
                Status = WriteStatus.NotFound,
                Id = taskId,
                RunId = "",
                History = "[]",
                Spec = "{}",
            };
        var task = ReadLeased(reader, taskId);
        var accepted = reader.GetInt64(2) == epoch && task.State is TaskState.Leased or TaskState.Running;
        return task with { Status = accepted ? WriteStatus.Accepted : WriteStatus.Stale };
    }

    private async Task<LeasedTask?> ReadExpiredTaskAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await using var command = Command(
            connection,
            tx,
            $"SELECT {LeasedTaskColumns} FROM tasks WHERE id = @id AND state IN ('Leased', 'Running') AND lease_expires_at < @now{ForUpdate};",
            ("@id", taskId),
            ("@now", Ms(now))
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadLeased(reader, taskId) : null;
    }

    private static LeasedTask ReadLeased(DbDataReader r, string taskId) =>
        new(
            WriteStatus.Accepted,
            taskId,
            r.GetString(0),
            Enum.Parse<TaskState>(r.GetString(1)),
            Enum.Parse<StopReason>(r.GetString(3)),
            r.GetInt64(4),
            r.GetInt32(5),
            r.GetInt32(6),
            Text(r, 7),
            r.GetString(8),
            r.GetString(9),
            r.GetInt64(2),
            TaskKinds.Parse(r.GetString(10))
        );
}
