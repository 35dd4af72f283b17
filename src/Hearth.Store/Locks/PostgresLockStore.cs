using System.Data;
using System.Data.Common;
using Npgsql;
using static Hearth.Store.Locks.LockDb;

namespace Hearth.Store.Locks;

/// <summary>The lock tables in PostgreSQL, shared by every server: READ COMMITTED with row locks in the run store's order.</summary>
public sealed class PostgresLockStore : SqlLockStore, IAsyncDisposable
{
    /// <summary>Held per transaction while the lock migrations run, so servers starting together apply them once.</summary>
    private const long MigrationLock = 0x4865_6172_7468_0A02;
    private readonly NpgsqlDataSource _dataSource;

    public PostgresLockStore(string connectionString) => _dataSource = NpgsqlDataSource.Create(connectionString);

    private protected override string ForUpdate => " FOR UPDATE";

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(@key);", ct, ("@key", MigrationLock));
        await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS lock_schema_version (version integer NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM lock_schema_version;", ct));
        for (var version = current + 1; version <= LockSchema.Migrations.Count; version++)
        {
            await ExecAsync(connection, tx, LockSchema.Migrations[version - 1], ct);
            await ExecAsync(connection, tx, "INSERT INTO lock_schema_version (version) VALUES (@version);", ct, ("@version", version));
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

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
