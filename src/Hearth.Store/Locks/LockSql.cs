using System.Data.Common;
using Hearth.Core.Locks;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Locks;

/// <summary>
/// Taking, queueing, releasing and granting locks, inside a caller's write transaction.
/// </summary>
/// <remarks>
/// Lock order extends the run store's: a run's row, its tasks' rows, then lock rows. Granting a lock to the next waiter
/// happens while the lock's row is held, so it takes the waiter's run row with SKIP LOCKED (PostgreSQL) and leaves the
/// grant to the next sweep when that row is busy: a grant never waits on a row lock, so no cycle can form.
/// <paramref name="forUpdate"/> is the dialect's " FOR UPDATE", empty where the transaction already excludes other
/// writers.
/// </remarks>
internal static class LockSql
{
    /// <summary>A grant's first lease; the leader's sweep renews it every second while the holder lives.</summary>
    public static readonly TimeSpan FirstLease = TimeSpan.FromSeconds(30);

    public readonly record struct Acquisition(bool Granted, long Token, string? Holder, long Position);

    private static string SkipLocked(string forUpdate) => forUpdate.Length == 0 ? "" : " FOR UPDATE SKIP LOCKED";

    /// <summary>
    /// Grants the lock to the task when it is free with nobody queued, else queues it (or throws for NoWait).
    /// Idempotent per task.
    /// </summary>
    public static async Task<Acquisition> AcquireAsync(
        DbConnection c,
        DbTransaction tx,
        string forUpdate,
        LockRequest request,
        string taskId,
        string runId,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await ExecAsync(
            c,
            tx,
            "INSERT INTO locks (name) VALUES (@n) ON CONFLICT (name) DO NOTHING;",
            ct,
            ("@n", request.Name)
        );
        var row = (
            await QueryAsync(
                c,
                tx,
                $"SELECT token, holder_task, holder_run, next_ticket FROM locks WHERE name = @n{forUpdate};",
                r => (Token: r.GetInt64(0), HolderTask: Text(r, 1), HolderRun: Text(r, 2), NextTicket: r.GetInt64(3)),
                ct,
                ("@n", request.Name)
            )
        )[0];
        if (row.HolderTask == taskId)
            return new Acquisition(true, row.Token, runId, 0);

        var queue = await QueryAsync(
            c,
            tx,
            "SELECT task_id FROM lock_waiters WHERE lock_name = @n ORDER BY ticket;",
            r => r.GetString(0),
            ct,
            ("@n", request.Name)
        );
        var position = queue.IndexOf(taskId);
        if (position >= 0)
            return new Acquisition(false, 0, row.HolderRun, position + 1);

        if (row.HolderTask is null && queue.Count == 0)
        {
            var token = await GrantAsync(c, tx, request.Name, taskId, runId, now, ct);
            LockTimings.Granted(request.Name, TimeSpan.Zero);
            return new Acquisition(true, token, runId, 0);
        }
        if (request.NoWait)
            throw new LockBusyException(request.Name, row.HolderRun);

        await ExecAsync(
            c,
            tx,
            "INSERT INTO lock_waiters (lock_name, ticket, task_id, run_id, queued_at, deadline) VALUES (@n, @ticket, @task, @run, @now, @deadline);",
            ct,
            ("@n", request.Name),
            ("@ticket", row.NextTicket),
            ("@task", taskId),
            ("@run", runId),
            ("@now", Ms(now)),
            ("@deadline", request.Wait is { } wait ? Ms(now + wait) : null)
        );
        await ExecAsync(
            c,
            tx,
            "UPDATE locks SET next_ticket = next_ticket + 1 WHERE name = @n;",
            ct,
            ("@n", request.Name)
        );
        return new Acquisition(false, 0, row.HolderRun, queue.Count + 1);
    }

    public static string WaitingReason(string name, string? holder) =>
        holder is null
            ? $"waiting for lock {name} (queued behind earlier runs)"
            : $"waiting for lock {name} held by {holder}";

    /// <summary>
    /// A task ended (or was given up): leaves any queue and frees any lock it held, granting it to the next in line.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ReleaseAsync(
        DbConnection c,
        DbTransaction tx,
        string forUpdate,
        string taskId,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await ExecAsync(c, tx, "DELETE FROM lock_waiters WHERE task_id = @t;", ct, ("@t", taskId));
        var held = await QueryAsync(
            c,
            tx,
            $"SELECT name FROM locks WHERE holder_task = @t{forUpdate};",
            r => r.GetString(0),
            ct,
            ("@t", taskId)
        );
        var granted = new List<string>();
        foreach (var name in held)
        {
            await FreeAsync(c, tx, name, now, ct);
            if (await GrantNextAsync(c, tx, forUpdate, name, now, ct) is { } run)
                granted.Add(run);
        }
        return granted;
    }

    /// <summary>
    /// A holder's task goes back to the queue for another attempt: it keeps the lock under a new token, so the lost
    /// attempt is fenced out.
    /// </summary>
    public static Task RefenceAsync(
        DbConnection c,
        DbTransaction tx,
        string taskId,
        DateTimeOffset now,
        CancellationToken ct
    ) =>
        ExecAsync(
            c,
            tx,
            "UPDATE locks SET token = token + 1, since = @now WHERE holder_task = @t;",
            ct,
            ("@now", Ms(now)),
            ("@t", taskId)
        );

    /// <summary>Frees a lock (whose row the caller holds), recording how long its holder held it.</summary>
    public static async Task FreeAsync(
        DbConnection c,
        DbTransaction tx,
        string name,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var since = await ScalarAsync(
            c,
            tx,
            "SELECT since FROM locks WHERE name = @n AND holder_task IS NOT NULL;",
            ct,
            ("@n", name)
        );
        await ExecAsync(
            c,
            tx,
            "UPDATE locks SET holder_task = NULL, holder_run = NULL, since = NULL, lease_expires_at = NULL WHERE name = @n;",
            ct,
            ("@n", name)
        );
        if (since is not null and not DBNull)
            LockTimings.Released(name, now - DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(since)));
    }

    /// <summary>
    /// Grants a free lock (whose row the caller holds) to the first waiter still waiting: its task becomes Pending.
    /// Returns the run granted, or null when the queue is empty or its head is busy (the sweep retries).
    /// </summary>
    public static async Task<string?> GrantNextAsync(
        DbConnection c,
        DbTransaction tx,
        string forUpdate,
        string name,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        while (true)
        {
            var heads = await QueryAsync(
                c,
                tx,
                "SELECT ticket, task_id, run_id, queued_at FROM lock_waiters WHERE lock_name = @n ORDER BY ticket LIMIT 1;",
                r => (Ticket: r.GetInt64(0), Task: r.GetString(1), Run: r.GetString(2), QueuedAt: r.GetInt64(3)),
                ct,
                ("@n", name)
            );
            if (heads.Count == 0)
                return null;
            var head = heads[0];
            if (
                await ScalarAsync(
                    c,
                    tx,
                    $"SELECT state FROM runs WHERE id = @id{SkipLocked(forUpdate)};",
                    ct,
                    ("@id", head.Run)
                )
                is null
            )
            {
                if (
                    Convert.ToInt64(
                        await ScalarAsync(c, tx, "SELECT COUNT(*) FROM runs WHERE id = @id;", ct, ("@id", head.Run))
                    ) > 0
                )
                    return null;
                await ExecAsync(
                    c,
                    tx,
                    "DELETE FROM lock_waiters WHERE ticket = @ticket AND lock_name = @n;",
                    ct,
                    ("@ticket", head.Ticket),
                    ("@n", name)
                );
                continue;
            }
            var task = await QueryAsync(
                c,
                tx,
                $"SELECT state, attempt, kind FROM tasks WHERE id = @id{forUpdate};",
                r =>
                    (
                        State: Enum.Parse<TaskState>(r.GetString(0)),
                        Attempt: r.GetInt32(1),
                        Kind: TaskKinds.Parse(r.GetString(2))
                    ),
                ct,
                ("@id", head.Task)
            );
            await ExecAsync(
                c,
                tx,
                "DELETE FROM lock_waiters WHERE ticket = @ticket AND lock_name = @n;",
                ct,
                ("@ticket", head.Ticket),
                ("@n", name)
            );
            if (task.Count == 0 || task[0].State != TaskState.Waiting)
                continue;

            Transitions.Task.Check(TaskState.Waiting, TaskState.Pending);
            var token = await GrantAsync(c, tx, name, head.Task, head.Run, now, ct);
            LockTimings.Granted(name, now - DateTimeOffset.FromUnixTimeMilliseconds(head.QueuedAt));
            await ExecAsync(
                c,
                tx,
                "UPDATE tasks SET state = 'Pending', reason = NULL, queued_at = @now WHERE id = @id;",
                ct,
                ("@now", Ms(now)),
                ("@id", head.Task)
            );
            if (task[0].Kind != TaskKind.WorkflowStep)
                await ExecAsync(
                    c,
                    tx,
                    "UPDATE runs SET reason = NULL WHERE id = @id AND state = 'Starting';",
                    ct,
                    ("@id", head.Run)
                );
            await SystemLineAsync(
                c,
                tx,
                head.Run,
                head.Task,
                task[0].Attempt,
                now,
                $"hearth: lock {name} acquired (token {token})",
                ct
            );
            return head.Run;
        }
    }

    private static async Task<long> GrantAsync(
        DbConnection c,
        DbTransaction tx,
        string name,
        string taskId,
        string runId,
        DateTimeOffset now,
        CancellationToken ct
    ) =>
        Convert.ToInt64(
            await ScalarAsync(
                c,
                tx,
                """
                UPDATE locks SET token = token + 1, holder_task = @task, holder_run = @run, since = @now, lease_expires_at = @expires
                WHERE name = @n RETURNING token;
                """,
                ct,
                ("@task", taskId),
                ("@run", runId),
                ("@now", Ms(now)),
                ("@expires", Ms(now + FirstLease)),
                ("@n", name)
            )
        );

    /// <summary>A line of Hearth's own in the run's log. The run's row must be held by the transaction.</summary>
    public static async Task SystemLineAsync(
        DbConnection c,
        DbTransaction tx,
        string runId,
        string taskId,
        int attempt,
        DateTimeOffset now,
        string text,
        CancellationToken ct
    )
    {
        var seq = Convert.ToInt64(
            await ScalarAsync(c, tx, "SELECT log_lines FROM runs WHERE id = @id;", ct, ("@id", runId))
        );
        await ExecAsync(
            c,
            tx,
            "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text, task_id) VALUES (@run, @seq, @attempt, @stream, @time, @text, @task);",
            ct,
            ("@run", runId),
            ("@seq", seq),
            ("@attempt", attempt),
            ("@stream", (int)LogStream.System),
            ("@time", Ms(now)),
            ("@text", text),
            ("@task", taskId)
        );
        await ExecAsync(c, tx, "UPDATE runs SET log_lines = log_lines + 1 WHERE id = @id;", ct, ("@id", runId));
    }
}
