using System.Data;
using System.Data.Common;
using System.Text.Json;
using Hearth.Core;
using Hearth.Store.Sql;
using Npgsql;

namespace Hearth.Store.Postgres;

/// <summary>
/// The store for several servers on one database. Writes run at READ COMMITTED with explicit row locks (a run's row,
/// then its tasks'); a claim takes the oldest matching pending task with FOR UPDATE SKIP LOCKED, so claimers on
/// any number of servers never wait on each other nor get the same task.
/// </summary>
public sealed class PostgresRunStore : SqlRunStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresRunStore(string connectionString)
    {
        ConnectionString = connectionString;
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        // The same few statements run all day: prepare them once per connection. Sessions carry no state to reset.
        if (tuned.MaxAutoPrepare == 0) tuned.MaxAutoPrepare = 64;
        tuned.NoResetOnClose = true;
        _dataSource = NpgsqlDataSource.Create(tuned.ToString());
    }

    public string ConnectionString { get; }

    private protected override string ForUpdate => " FOR UPDATE";

    private protected override string TaskOrder => "ordinal";

    private protected override string JsonParameter(string parameter) => $"CAST({parameter} AS jsonb)";

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(@key);", ct, ("@key", AdvisoryLockKeys.Migrations));
        await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", ct));
        for (var version = current + 1; version <= PostgresSchema.Migrations.Count; version++)
        {
            await ExecAsync(connection, tx, PostgresSchema.Migrations[version - 1], ct);
            await ExecAsync(connection, tx, "INSERT INTO schema_version (version) VALUES (@version);", ct, ("@version", version));
        }
        await tx.CommitAsync(ct);
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct)
    {
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            return (connection, await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override Task<(string Sql, (string, object?)[] Parameters)?> ClaimStatementAsync(
        DbConnection connection, DbTransaction tx, ClaimRequest request, CancellationToken ct)
    {
        var labels = JsonSerializer.Serialize(request.Labels, HearthJson.Options);
        var sql = ClaimUpdate(
            """
            (SELECT id FROM tasks
             WHERE state = 'Pending' AND (not_before IS NULL OR not_before <= @now) AND requirements <@ CAST(@labels AS jsonb)
             ORDER BY queued_at, id LIMIT 1
             FOR UPDATE SKIP LOCKED)
            """);
        return Task.FromResult<(string, (string, object?)[])?>((sql, [("@now", Ms(request.Now)), ("@labels", labels)]));
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
