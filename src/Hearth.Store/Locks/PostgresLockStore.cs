using System.Data.Common;
using Hearth.Store.Postgres;
using Npgsql;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Locks;

/// <summary>
/// The lock tables in PostgreSQL, shared by every server: READ COMMITTED with row locks in the run store's order.
/// </summary>
public sealed class PostgresLockStore : SqlLockStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the lock migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A02;
    private readonly PostgresDatabase _database;

    public PostgresLockStore(string connectionString) => _database = new PostgresDatabase(connectionString);

    private protected override string ForUpdate => " FOR UPDATE";

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("lock_schema_version", LockSchema.Migrations, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
