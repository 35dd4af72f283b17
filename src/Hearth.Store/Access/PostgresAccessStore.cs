using System.Data;
using System.Data.Common;
using Npgsql;

namespace Hearth.Store.Access;

/// <summary>The access tables in PostgreSQL, shared by every server on the database. Writes at READ COMMITTED.</summary>
public sealed class PostgresAccessStore : SqlAccessStore, IAsyncDisposable
{
    /// <summary>Held per transaction while the access migrations run, so servers starting together apply them once.</summary>
    private const long MigrationLock = 0x4865_6172_7468_0A01;
    private readonly NpgsqlDataSource _dataSource;

    public PostgresAccessStore(string connectionString) => _dataSource = NpgsqlDataSource.Create(connectionString);

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(@key);", ct, ("@key", MigrationLock));
        await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS access_schema_version (version integer NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM access_schema_version;", ct));
        for (var version = current + 1; version <= AccessSchema.Postgres.Count; version++)
        {
            await ExecAsync(connection, tx, AccessSchema.Postgres[version - 1], ct);
            await ExecAsync(connection, tx, "INSERT INTO access_schema_version (version) VALUES (@version);", ct, ("@version", version));
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

    private protected override bool IsUniqueViolation(DbException e) => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
