using System.Data;
using System.Data.Common;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Lifecycle;
using Hearth.Store.Sql;
using Npgsql;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Postgres;

/// <summary>
/// The store for several servers on one database. Writes run at READ COMMITTED with explicit row locks (a run's row,
/// then its tasks'); a claim takes the oldest matching pending task with FOR UPDATE SKIP LOCKED, so claimers on
/// any number of servers never wait on each other nor get the same task.
/// </summary>
public sealed class PostgresRunStore : SqlRunStore, IAsyncDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresRunStore(string connectionString, ILifecycleRules rules)
        : base(rules)
    {
        ConnectionString = connectionString;
        _database = new PostgresDatabase(connectionString);
    }

    public string ConnectionString { get; }

    private protected override string ForUpdate => " FOR UPDATE";

    private protected override string TaskOrder => "ordinal";

    private protected override string JsonParameter(string parameter) => $"CAST({parameter} AS jsonb)";

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("schema_version", PostgresSchema.Migrations, AdvisoryLockKeys.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    private protected override Task<(string Sql, (string, object?)[] Parameters)?> ClaimStatementAsync(
        DbConnection connection,
        DbTransaction tx,
        ClaimRequest request,
        CancellationToken ct
    )
    {
        var labels = HearthJson.Serialize(request.Labels);
        // The pending set grows from nothing to thousands between two autovacuum analyses, and with statistics that
        // still say "no pending task" the planner sorts every pending row on each claim (a bitmap scan, then a sort).
        // Only the partial index's order makes a claim cost the same at any queue depth, so sorts are off here.
        var sql =
            "SET LOCAL enable_sort = off;\n"
            + ClaimUpdate(
                """
                (SELECT id FROM tasks
                 WHERE state = 'Pending' AND (not_before IS NULL OR not_before <= @now) AND requirements <@ CAST(@labels AS jsonb)
                 ORDER BY queued_at, id LIMIT 1
                 FOR UPDATE SKIP LOCKED)
                """
            );
        return Task.FromResult<(string, (string, object?)[])?>((sql, [("@now", Ms(request.Now)), ("@labels", labels)]));
    }

    /// <summary>
    /// One statement for the whole batch: a statement per line would cost a round trip per line, which capped a task's
    /// log at a few thousand lines a second.
    /// </summary>
    private protected override async Task InsertLinesAsync(
        DbConnection connection,
        DbTransaction tx,
        LineBatch batch,
        CancellationToken ct
    )
    {
        var count = batch.Lines.Count - batch.Skip;
        var seqs = new long[count];
        var streams = new int[count];
        var times = new long[count];
        var texts = new string[count];
        for (var i = 0; i < count; i++)
        {
            var line = batch.Lines[batch.Skip + i];
            seqs[i] = batch.FirstSeq + i;
            streams[i] = (int)line.Stream;
            times[i] = Ms(line.Time);
            texts[i] = line.Text;
        }
        await ExecAsync(
            connection,
            tx,
            "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text, task_id) "
                + "SELECT @run, u.seq, @attempt, u.stream, u.time, u.text, @task "
                + "FROM unnest(@seqs, @streams, @times, @texts) AS u(seq, stream, time, text);",
            ct,
            ("@run", batch.RunId),
            ("@attempt", batch.Attempt),
            ("@task", batch.TaskId),
            ("@seqs", seqs),
            ("@streams", streams),
            ("@times", times),
            ("@texts", texts)
        );
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
