using System.Data;
using Npgsql;

namespace Hearth.Store.Postgres;

/// <summary>
/// One PostgreSQL database as every Hearth store module uses it: a pooled data source with prepared statements,
/// writes at READ COMMITTED with explicit row locks, and migrations applied under a transaction-scoped advisory lock so
/// that servers starting together apply them once.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        // The same few statements run all day: prepare them once per connection. Sessions carry no state to reset.
        if (tuned.MaxAutoPrepare == 0)
            tuned.MaxAutoPrepare = 64;
        tuned.NoResetOnClose = true;
        _dataSource = NpgsqlDataSource.Create(tuned.ToString());
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction Tx)> BeginWriteAsync(CancellationToken ct)
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

    /// <summary>
    /// Applies the migrations not yet recorded in <paramref name="versionTable"/>, all in one transaction under
    /// <paramref name="lockKey"/>.
    /// </summary>
    public async Task MigrateAsync(
        string versionTable,
        IReadOnlyList<string> migrations,
        long lockKey,
        CancellationToken ct
    )
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, $"SELECT pg_advisory_xact_lock({lockKey});", ct);
        await ExecAsync(connection, tx, $"CREATE TABLE IF NOT EXISTS {versionTable} (version integer NOT NULL);", ct);
        await using (
            var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {versionTable};", connection, tx)
        )
        {
            var current = Convert.ToInt32(await read.ExecuteScalarAsync(ct));
            for (var version = current + 1; version <= migrations.Count; version++)
            {
                await ExecAsync(connection, tx, migrations[version - 1], ct);
                await ExecAsync(connection, tx, $"INSERT INTO {versionTable} (version) VALUES ({version});", ct);
            }
        }
        await tx.CommitAsync(ct);
    }

    private static async Task ExecAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        string sql,
        CancellationToken ct
    )
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
