using Hearth.Core;
using Hearth.Core.Labels;
using Hearth.Core.Runs;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Sqlite;

public sealed partial class SqliteRunStore
{
    private const int ClaimPage = 64;

    public async Task<Lease?> ClaimAsync(ClaimRequest request, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            long after = long.MinValue;
            string afterId = "";
            while (true)
            {
                var candidates = new List<(string Id, string RunId, string Requirements, long QueuedAt)>();
                await using (var command = Command(connection, tx,
                    """
                    SELECT id, run_id, requirements, queued_at FROM tasks
                    WHERE state = 'Pending' AND (queued_at > $after OR (queued_at = $after AND id > $afterId))
                    ORDER BY queued_at, id LIMIT $page;
                    """, ("$after", after), ("$afterId", afterId), ("$page", ClaimPage)))
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                        candidates.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
                }
                if (candidates.Count == 0) return null;

                foreach (var candidate in candidates)
                {
                    if (candidate.Requirements != "{}" &&
                        !LabelMatch.Satisfies(request.Labels, FromJson<Dictionary<string, string>>(candidate.Requirements)))
                        continue;

                    var expires = request.Now + request.LeaseTtl;
                    Transitions.Task.Check(TaskState.Pending, TaskState.Leased);
                    await ExecAsync(connection, tx,
                        """
                        UPDATE tasks SET state = 'Leased', epoch = epoch + 1, agent_id = $agent, lease_expires_at = $expires, log_offset = 0
                        WHERE id = $id AND state = 'Pending';
                        """, ct, ("$agent", request.AgentId), ("$expires", Ms(expires)), ("$id", candidate.Id));
                    Lease lease;
                    await using (var command = Command(connection, tx, "SELECT epoch, attempt, spec FROM tasks WHERE id = $id;", ("$id", candidate.Id)))
                    await using (var reader = await command.ExecuteReaderAsync(ct))
                    {
                        await reader.ReadAsync(ct);
                        lease = new Lease(candidate.Id, candidate.RunId, reader.GetInt64(0), reader.GetInt32(1), FromJson<TaskSpec>(reader.GetString(2)), expires);
                    }
                    await tx.CommitAsync(ct);
                    return lease;
                }
                (after, afterId) = (candidates[^1].QueuedAt, candidates[^1].Id);
            }
        }
    }

    public async Task<WriteResult> ReleaseAsync(string taskId, long epoch, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted) return new WriteResult(task.Status);
            Transitions.Task.Check(task.State, TaskState.Pending);
            await ExecAsync(connection, tx,
                "UPDATE tasks SET state = 'Pending', agent_id = NULL, lease_expires_at = NULL, deadline = NULL WHERE id = $id;", ct, ("$id", taskId));
            await tx.CommitAsync(ct);
            return WriteResult.Accepted;
        }
    }

    public async Task<WriteResult> MarkRunningAsync(string taskId, long epoch, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted) return new WriteResult(task.Status);
            if (task.State == TaskState.Running) return WriteResult.Accepted;
            Transitions.Task.Check(task.State, TaskState.Running);
            var spec = FromJson<TaskSpec>((string)(await ScalarAsync(connection, tx, "SELECT spec FROM tasks WHERE id = $id;", ct, ("$id", taskId)))!);
            await ExecAsync(connection, tx,
                "UPDATE tasks SET state = 'Running', started_at = $now, deadline = $deadline WHERE id = $id;", ct,
                ("$now", Ms(now)), ("$deadline", spec.Timeout is { } t ? Ms(now + t) : null), ("$id", taskId));
            var runState = Enum.Parse<RunState>((string)(await ScalarAsync(connection, tx, "SELECT state FROM runs WHERE id = $id;", ct, ("$id", task.RunId)))!);
            if (runState == RunState.Starting)
            {
                Transitions.Run.Check(runState, RunState.Running);
                await ExecAsync(connection, tx, "UPDATE runs SET state = 'Running', started_at = COALESCE(started_at, $now) WHERE id = $id;", ct,
                    ("$now", Ms(now)), ("$id", task.RunId));
            }
            await tx.CommitAsync(ct);
            return WriteResult.Accepted;
        }
    }

    public async Task<HeartbeatResult> HeartbeatAsync(string taskId, long epoch, DateTimeOffset now, TimeSpan leaseTtl, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted) return new HeartbeatResult(task.Status);
            var expires = now + leaseTtl;
            await ExecAsync(connection, tx, "UPDATE tasks SET lease_expires_at = $expires WHERE id = $id;", ct, ("$expires", Ms(expires)), ("$id", taskId));
            await tx.CommitAsync(ct);
            return new HeartbeatResult(WriteStatus.Accepted, task.StopReason, expires);
        }
    }

    public async Task<WriteResult> CompleteAsync(string taskId, long epoch, TaskResult result, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted) return new WriteResult(task.Status);
            var spec = FromJson<TaskSpec>((string)(await ScalarAsync(connection, tx, "SELECT spec FROM tasks WHERE id = $id;", ct, ("$id", taskId)))!);
            var (state, reason) = Outcome.Decide(result, task.StopReason, spec.Timeout);
            await FinishTaskAsync(connection, tx, taskId, task.RunId, task.State, state, result.ExitCode, reason, now, ct);
            await tx.CommitAsync(ct);
            return WriteResult.Accepted;
        }
    }

    public async Task<IReadOnlyList<string>> RescueExpiredAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var expired = new List<(string Id, string RunId, TaskState State, int Attempt, int Max, string? Agent, StopReason Stop, string History)>();
            await using (var command = Command(connection, tx,
                """
                SELECT id, run_id, state, attempt, max_attempts, agent_id, stop_reason, history FROM tasks
                WHERE state IN ('Leased', 'Running') AND lease_expires_at < $now ORDER BY lease_expires_at LIMIT $limit;
                """, ("$now", Ms(now)), ("$limit", limit)))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    expired.Add((reader.GetString(0), reader.GetString(1), Enum.Parse<TaskState>(reader.GetString(2)), reader.GetInt32(3),
                        reader.GetInt32(4), Text(reader, 5), Enum.Parse<StopReason>(reader.GetString(6)), reader.GetString(7)));
            }

            foreach (var task in expired)
            {
                var history = FromJson<List<AttemptRecord>>(task.History);
                history.Add(new AttemptRecord(task.Attempt, task.Agent, now, "agent lost: lease expired"));
                await ExecAsync(connection, tx, "UPDATE tasks SET history = $history WHERE id = $id;", ct, ("$history", Json(history)), ("$id", task.Id));

                if (task.Stop != StopReason.None)
                {
                    var state = task.Stop == StopReason.TimedOut ? TaskState.TimedOut : TaskState.Stopped;
                    await FinishTaskAsync(connection, tx, task.Id, task.RunId, task.State, state, null,
                        $"{(state == TaskState.TimedOut ? "timed out" : "killed")}; agent lost before it confirmed", now, ct);
                }
                else if (task.Attempt < task.Max)
                {
                    Transitions.Task.Check(task.State, TaskState.Pending);
                    await ExecAsync(connection, tx,
                        """
                        UPDATE tasks SET state = 'Pending', attempt = attempt + 1, agent_id = NULL, lease_expires_at = NULL,
                            deadline = NULL, started_at = NULL WHERE id = $id;
                        """, ct, ("$id", task.Id));
                    var runState = Enum.Parse<RunState>((string)(await ScalarAsync(connection, tx, "SELECT state FROM runs WHERE id = $id;", ct, ("$id", task.RunId)))!);
                    if (runState == RunState.Running)
                    {
                        Transitions.Run.Check(runState, RunState.Starting);
                        await ExecAsync(connection, tx, "UPDATE runs SET state = 'Starting' WHERE id = $id;", ct, ("$id", task.RunId));
                    }
                    await AppendSystemLineAsync(connection, tx, task.RunId, task.Attempt, now,
                        $"hearth: attempt {task.Attempt} lost (agent {task.Agent} stopped renewing its lease); queued as attempt {task.Attempt + 1} of {task.Max}", ct);
                }
                else
                {
                    var attempts = string.Join("; ", history.Select(h => $"attempt {h.Attempt} on agent {h.AgentId}: {h.Reason}"));
                    await FinishTaskAsync(connection, tx, task.Id, task.RunId, task.State, TaskState.Failed, null,
                        $"agent lost after {task.Attempt} attempt(s) ({attempts})", now, ct);
                }
            }
            await tx.CommitAsync(ct);
            return expired.Select(e => e.RunId).Distinct().ToList();
        }
    }

    public async Task<IReadOnlyList<string>> FindOverdueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null,
            """
            SELECT DISTINCT run_id FROM tasks
            WHERE state IN ('Leased', 'Running') AND stop_reason = 'None' AND deadline IS NOT NULL AND deadline <= $now LIMIT $limit;
            """, ("$now", Ms(now)), ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    private readonly record struct LeasedTask(WriteStatus Status, string RunId, TaskState State, StopReason StopReason, long LogOffset, int Attempt);

    /// <summary>Reads a task for a write by its lease holder: NotFound, Stale (another epoch, or no longer leased), or Accepted.</summary>
    private static async Task<LeasedTask> ReadLeasedTaskAsync(SqliteConnection connection, SqliteTransaction tx, string taskId, long epoch, CancellationToken ct)
    {
        await using var command = Command(connection, tx, "SELECT run_id, state, epoch, stop_reason, log_offset, attempt FROM tasks WHERE id = $id;", ("$id", taskId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return new LeasedTask(WriteStatus.NotFound, "", default, default, 0, 0);
        var state = Enum.Parse<TaskState>(reader.GetString(1));
        var current = reader.GetInt64(2);
        var status = current == epoch && state is TaskState.Leased or TaskState.Running ? WriteStatus.Accepted : WriteStatus.Stale;
        return new LeasedTask(status, reader.GetString(0), state, Enum.Parse<StopReason>(reader.GetString(3)), reader.GetInt64(4), reader.GetInt32(5));
    }

    /// <summary>Moves a task to a terminal state and, when it was the run's last live task, the run with it.</summary>
    private static async Task FinishTaskAsync(SqliteConnection connection, SqliteTransaction tx, string taskId, string runId, TaskState from, TaskState to,
        int? exitCode, string? reason, DateTimeOffset now, CancellationToken ct)
    {
        Transitions.Task.Check(from, to);
        await ExecAsync(connection, tx,
            "UPDATE tasks SET state = $state, exit_code = $exit, reason = $reason, ended_at = $now, lease_expires_at = NULL WHERE id = $id;", ct,
            ("$state", to.ToString()), ("$exit", exitCode), ("$reason", reason), ("$now", Ms(now)), ("$id", taskId));

        var live = Convert.ToInt64(await ScalarAsync(connection, tx,
            "SELECT COUNT(*) FROM tasks WHERE run_id = $run AND state NOT IN ('Succeeded', 'Failed', 'Stopped', 'TimedOut', 'Skipped');", ct, ("$run", runId)));
        if (live > 0) return;

        var runState = Enum.Parse<RunState>((string)(await ScalarAsync(connection, tx, "SELECT state FROM runs WHERE id = $id;", ct, ("$id", runId)))!);
        var next = Outcome.ToRunState(to);
        Transitions.Run.Check(runState, next);
        await ExecAsync(connection, tx,
            "UPDATE runs SET state = $state, exit_code = $exit, reason = $reason, ended_at = $now WHERE id = $id;", ct,
            ("$state", next.ToString()), ("$exit", exitCode), ("$reason", reason), ("$now", Ms(now)), ("$id", runId));
    }
}
