using System.Data.Common;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Locks;

/// <summary>
/// <see cref="ILockStore"/> written once over ADO.NET; a dialect supplies connections, write transactions and
/// migrations.
/// </summary>
public abstract class SqlLockStore : ILockStore
{
    private const string TerminalTaskStates = "('Succeeded', 'Failed', 'Stopped', 'TimedOut', 'Skipped')";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    private protected abstract string ForUpdate { get; }

    public async Task<IReadOnlyList<LockInfo>> ListAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var names = await QueryAsync(
            connection,
            null,
            "SELECT name FROM locks WHERE holder_task IS NOT NULL OR EXISTS (SELECT 1 FROM lock_waiters w WHERE w.lock_name = locks.name) OR token > 0 ORDER BY name;",
            r => r.GetString(0),
            ct
        );
        var locks = new List<LockInfo>();
        foreach (var name in names)
        {
            if (await ReadAsync(connection, null, name, ct) is { } info)
                locks.Add(info);
        }
        return locks;
    }

    public async Task<LockInfo?> GetAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ReadAsync(connection, null, name, ct);
    }

    public async Task<LockInfo?> ForceReleaseAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (
                await ScalarAsync(
                    connection,
                    tx,
                    $"SELECT name FROM locks WHERE name = @n{ForUpdate};",
                    ct,
                    ("@n", name)
                )
                is null
            )
                return null;
            var before = await ReadAsync(connection, tx, name, ct);
            await LockSql.FreeAsync(connection, tx, name, now, ct);
            await LockSql.GrantNextAsync(connection, tx, ForUpdate, name, now, ct);
            await tx.CommitAsync(ct);
            return before;
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> TokensOfAsync(string taskId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await QueryAsync(
            connection,
            null,
            "SELECT name, token FROM locks WHERE holder_task = @t;",
            r => (r.GetString(0), r.GetInt64(1)),
            ct,
            ("@t", taskId)
        );
        return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
    }

    public async Task<LockSweep> SweepAsync(DateTimeOffset now, TimeSpan leaseTtl, CancellationToken ct)
    {
        var granted = new List<string>();
        var failed = new List<string>();
        var freed = new List<string>();
        await using (var connection = await OpenAsync(ct))
        {
            // Renewal first, so that a server coming back after every server was down does not free the locks of runs
            // that still live.
            await ExecAsync(
                connection,
                null,
                $"""
                UPDATE locks SET lease_expires_at = @expires
                WHERE holder_task IS NOT NULL AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = locks.holder_task AND t.state NOT IN {TerminalTaskStates});
                """,
                ct,
                ("@expires", Ms(now + leaseTtl))
            );
        }
        foreach (
            var name in await NamesAsync(
                "SELECT name FROM locks WHERE holder_task IS NOT NULL AND lease_expires_at < @now;",
                now,
                ct
            )
        )
        {
            if (await ExpireAsync(name, now, ct) is { } run)
            {
                freed.Add(name);
                if (run.Length > 0)
                    granted.Add(run);
            }
        }
        foreach (
            var name in await NamesAsync(
                "SELECT name FROM locks WHERE holder_task IS NULL AND EXISTS (SELECT 1 FROM lock_waiters w WHERE w.lock_name = locks.name);",
                null,
                ct
            )
        )
        {
            if (await GrantFreeAsync(name, now, ct) is { } run)
                granted.Add(run);
        }
        List<(string Task, string Run, string Lock)> late;
        await using (var connection = await OpenAsync(ct))
        {
            late = await QueryAsync(
                connection,
                null,
                "SELECT task_id, run_id, lock_name FROM lock_waiters WHERE deadline IS NOT NULL AND deadline < @now ORDER BY deadline;",
                r => (r.GetString(0), r.GetString(1), r.GetString(2)),
                ct,
                ("@now", Ms(now))
            );
        }
        foreach (var waiter in late)
        {
            if (await GiveUpAsync(waiter.Task, waiter.Run, waiter.Lock, now, ct))
                failed.Add(waiter.Run);
        }
        return new LockSweep(granted, failed, freed);
    }

    private async Task<List<string>> NamesAsync(string sql, DateTimeOffset? now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            sql,
            r => r.GetString(0),
            ct,
            now is { } at ? [("@now", Ms(at))] : []
        );
    }

    /// <summary>
    /// Frees a lock whose lease ran out (its holder ended without letting go, or nobody renewed it); "" when freed with
    /// no grant.
    /// </summary>
    private async Task<string?> ExpireAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var expired = await ScalarAsync(
                connection,
                tx,
                $"SELECT name FROM locks WHERE name = @n AND holder_task IS NOT NULL AND lease_expires_at < @now{ForUpdate};",
                ct,
                ("@n", name),
                ("@now", Ms(now))
            );
            if (expired is null)
                return null;
            await LockSql.FreeAsync(connection, tx, name, now, ct);
            var run = await LockSql.GrantNextAsync(connection, tx, ForUpdate, name, now, ct);
            await tx.CommitAsync(ct);
            return run ?? "";
        }
    }

    private async Task<string?> GrantFreeAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (
                await ScalarAsync(
                    connection,
                    tx,
                    $"SELECT name FROM locks WHERE name = @n AND holder_task IS NULL{ForUpdate};",
                    ct,
                    ("@n", name)
                )
                is null
            )
                return null;
            var run = await LockSql.GrantNextAsync(connection, tx, ForUpdate, name, now, ct);
            await tx.CommitAsync(ct);
            return run;
        }
    }

    /// <summary>
    /// Fails a waiter whose --lock-wait ran out; locks its run, then its task, then the lock, as everywhere else.
    /// </summary>
    private async Task<bool> GiveUpAsync(
        string taskId,
        string runId,
        string name,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var runState =
                await ScalarAsync(
                    connection,
                    tx,
                    $"SELECT state FROM runs WHERE id = @id{ForUpdate};",
                    ct,
                    ("@id", runId)
                ) as string;
            var task = await QueryAsync(
                connection,
                tx,
                $"SELECT state, attempt, kind FROM tasks WHERE id = @id{ForUpdate};",
                r =>
                    (
                        State: Enum.Parse<TaskState>(r.GetString(0)),
                        Attempt: r.GetInt32(1),
                        Kind: TaskKinds.Parse(r.GetString(2))
                    ),
                ct,
                ("@id", taskId)
            );
            var holder =
                await ScalarAsync(
                    connection,
                    tx,
                    $"SELECT holder_run FROM locks WHERE name = @n{ForUpdate};",
                    ct,
                    ("@n", name)
                ) as string;
            var waiting = await QueryAsync(
                connection,
                tx,
                "SELECT queued_at, deadline FROM lock_waiters WHERE task_id = @t;",
                r => (Queued: r.GetInt64(0), Deadline: r.IsDBNull(1) ? (long?)null : r.GetInt64(1)),
                ct,
                ("@t", taskId)
            );
            if (
                runState is null
                || task.Count == 0
                || waiting.Count == 0
                || waiting[0].Deadline is not { } deadline
                || deadline >= Ms(now)
            )
                return false;
            await ExecAsync(connection, tx, "DELETE FROM lock_waiters WHERE task_id = @t;", ct, ("@t", taskId));
            if (task[0].State != TaskState.Waiting)
            {
                await tx.CommitAsync(ct);
                return false;
            }

            var waited = TimeSpan.FromMilliseconds(deadline - waiting[0].Queued);
            var reason =
                $"gave up waiting for lock {name} after {Hearth.Core.Durations.Format(waited)}"
                + (holder is null ? "" : $" (held by {holder})");
            Transitions.Task.Check(TaskState.Waiting, TaskState.Failed);
            await ExecAsync(
                connection,
                tx,
                "UPDATE tasks SET state = 'Failed', reason = @reason, ended_at = @now WHERE id = @id;",
                ct,
                ("@reason", reason),
                ("@now", Ms(now)),
                ("@id", taskId)
            );
            if (task[0].Kind != TaskKind.WorkflowStep)
            {
                var state = Enum.Parse<RunState>(runState);
                Transitions.Run.Check(state, RunState.Failed);
                await ExecAsync(
                    connection,
                    tx,
                    "UPDATE runs SET state = 'Failed', reason = @reason, ended_at = @now WHERE id = @id;",
                    ct,
                    ("@reason", reason),
                    ("@now", Ms(now)),
                    ("@id", runId)
                );
            }
            await LockSql.SystemLineAsync(connection, tx, runId, taskId, task[0].Attempt, now, $"hearth: {reason}", ct);
            await tx.CommitAsync(ct);
            return true;
        }
    }

    private static async Task<LockInfo?> ReadAsync(
        DbConnection connection,
        DbTransaction? tx,
        string name,
        CancellationToken ct
    )
    {
        var rows = await QueryAsync(
            connection,
            tx,
            "SELECT token, holder_run, holder_task, since, lease_expires_at FROM locks WHERE name = @n;",
            r => (Token: r.GetInt64(0), Run: Text(r, 1), Task: Text(r, 2), Since: Time(r, 3), Lease: Time(r, 4)),
            ct,
            ("@n", name)
        );
        if (rows.Count == 0)
            return null;
        var queue = await QueryAsync(
            connection,
            tx,
            "SELECT ticket, run_id, task_id, queued_at, deadline FROM lock_waiters WHERE lock_name = @n ORDER BY ticket;",
            r => new LockWaiter(r.GetInt64(0), r.GetString(1), r.GetString(2), Time(r, 3)!.Value, Time(r, 4)),
            ct,
            ("@n", name)
        );
        var row = rows[0];
        return new LockInfo(name, row.Token, row.Run, row.Task, row.Since, row.Lease, queue);
    }
}
