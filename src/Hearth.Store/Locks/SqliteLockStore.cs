using System.Data.Common;
using Microsoft.Data.Sqlite;
using static Hearth.Store.Locks.LockDb;

namespace Hearth.Store.Locks;

/// <summary>The lock tables in the run store's SQLite file; BEGIN IMMEDIATE serialises writers, so no row locks are needed.</summary>
public sealed class SqliteLockStore : SqlLockStore
{
    private readonly string _connectionString;

    public SqliteLockStore(string path) =>
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();

    private protected override string ForUpdate => "";

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = (SqliteConnection)await OpenAsync(ct);
        await ExecAsync(connection, null, "CREATE TABLE IF NOT EXISTS lock_schema_version (version INTEGER NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM lock_schema_version;", ct));
        for (var version = current + 1; version <= LockSchema.Migrations.Count; version++)
        {
            await using var tx = connection.BeginTransaction(deferred: false);
            await ExecAsync(connection, tx, LockSchema.Migrations[version - 1], ct);
            await ExecAsync(connection, tx, "INSERT INTO lock_schema_version (version) VALUES (@version);", ct, ("@version", version));
            await tx.CommitAsync(ct);
        }
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await ExecAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct)
    {
        var connection = (SqliteConnection)await OpenAsync(ct);
        try
        {
            return (connection, connection.BeginTransaction(deferred: false));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
