using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Statuses;

/// <summary>
/// <see cref="ICommitStatusStore"/> written once over ADO.NET; a dialect supplies connections and migrations.
/// </summary>
public abstract class SqlCommitStatusStore : ICommitStatusStore
{
    private const string RunColumns = "run_id, repository, sha, context, target_url, reported, created_at";
    private const string EntryColumns =
        "id, run_id, repository, sha, context, target_url, phase, description, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    public async Task<bool> TrackAsync(TrackedRun run, CommitStatusEntry first, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var added = await ExecAsync(
                connection,
                tx,
                $"""
                INSERT INTO commit_status_runs ({RunColumns}, done) VALUES (@run, @repo, @sha, @context, @url, @reported, @at, @done)
                ON CONFLICT (run_id) DO NOTHING;
                """,
                ct,
                ("@run", run.RunId),
                ("@repo", run.Repository),
                ("@sha", run.Sha),
                ("@context", run.Context),
                ("@url", run.TargetUrl),
                ("@reported", first.Phase),
                ("@at", Ms(run.CreatedAt)),
                ("@done", StatusPhase.IsTerminal(first.Phase) ? 1 : 0)
            );
            if (added == 1)
                await InsertAsync(connection, tx, first, ct);
            await tx.CommitAsync(ct);
            return added == 1;
        }
    }

    public async Task<IReadOnlyList<TrackedRun>> ListOpenAsync(int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"SELECT {RunColumns} FROM commit_status_runs WHERE done = 0 ORDER BY created_at, run_id LIMIT @limit;",
            ReadRun,
            ct,
            ("@limit", limit)
        );
    }

    public async Task<bool> AdvanceAsync(string runId, string from, CommitStatusEntry next, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var moved = await ExecAsync(
                connection,
                tx,
                "UPDATE commit_status_runs SET reported = @to, done = @done WHERE run_id = @run AND reported = @from;",
                ct,
                ("@to", next.Phase),
                ("@done", StatusPhase.IsTerminal(next.Phase) ? 1 : 0),
                ("@run", runId),
                ("@from", from)
            );
            if (moved != 1)
                return false;
            await ExecAsync(
                connection,
                tx,
                """
                UPDATE commit_status_outbox SET failed_at = @at, last_error = @why
                WHERE run_id = @run AND sent_at IS NULL AND failed_at IS NULL;
                """,
                ct,
                ("@at", Ms(next.CreatedAt)),
                ("@why", $"superseded by {next.Phase}"),
                ("@run", runId)
            );
            await InsertAsync(connection, tx, next, ct);
            await tx.CommitAsync(ct);
            return true;
        }
    }

    public async Task<IReadOnlyList<CommitStatusEntry>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"""
            SELECT {EntryColumns} FROM commit_status_outbox
            WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= @now
            ORDER BY created_at, rank LIMIT @limit;
            """,
            ReadEntry,
            ct,
            ("@now", Ms(now)),
            ("@limit", limit)
        );
    }

    public async Task MarkSentAsync(string id, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE commit_status_outbox SET sent_at = @at, attempts = attempts + 1, last_error = NULL WHERE id = @id;",
            ct,
            ("@at", Ms(now)),
            ("@id", id)
        );
    }

    public async Task RetryLaterAsync(string id, DateTimeOffset next, string error, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE commit_status_outbox SET attempts = attempts + 1, next_attempt_at = @next, last_error = @error WHERE id = @id;",
            ct,
            ("@next", Ms(next)),
            ("@error", error),
            ("@id", id)
        );
    }

    public async Task MarkFailedAsync(string id, DateTimeOffset now, string error, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE commit_status_outbox SET attempts = attempts + 1, failed_at = @at, last_error = @error WHERE id = @id;",
            ct,
            ("@at", Ms(now)),
            ("@error", error),
            ("@id", id)
        );
    }

    public async Task<IReadOnlyList<CommitStatusEntry>> ListAsync(string repository, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"SELECT {EntryColumns} FROM commit_status_outbox WHERE repository = @repo ORDER BY created_at DESC, rank DESC LIMIT @limit;",
            ReadEntry,
            ct,
            ("@repo", repository),
            ("@limit", limit)
        );
    }

    private static Task<int> InsertAsync(
        DbConnection connection,
        DbTransaction tx,
        CommitStatusEntry e,
        CancellationToken ct
    ) =>
        ExecAsync(
            connection,
            tx,
            $"""
            INSERT INTO commit_status_outbox ({EntryColumns}, rank)
            VALUES (@id, @run, @repo, @sha, @context, @url, @phase, @description, @at, 0, @next, NULL, NULL, NULL, @rank)
            ON CONFLICT (id) DO NOTHING;
            """,
            ct,
            ("@id", e.Id),
            ("@run", e.RunId),
            ("@repo", e.Repository),
            ("@sha", e.Sha),
            ("@context", e.Context),
            ("@url", e.TargetUrl),
            ("@phase", e.Phase),
            ("@description", e.Description),
            ("@at", Ms(e.CreatedAt)),
            ("@next", Ms(e.NextAttemptAt)),
            ("@rank", StatusPhase.Rank(e.Phase))
        );

    private static TrackedRun ReadRun(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            r.GetString(2),
            r.GetString(3),
            r.GetString(4),
            r.GetString(5),
            Time(r, 6)!.Value
        );

    private static CommitStatusEntry ReadEntry(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            r.GetString(2),
            r.GetString(3),
            r.GetString(4),
            r.GetString(5),
            r.GetString(6),
            r.GetString(7),
            Time(r, 8)!.Value,
            r.GetInt32(9),
            Time(r, 10)!.Value,
            Time(r, 11),
            Time(r, 12),
            Text(r, 13)
        );
}
