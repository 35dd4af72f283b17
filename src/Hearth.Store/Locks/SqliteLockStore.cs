using System.Data.Common;
using Hearth.Store.Sqlite;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Locks;

/// <summary>
/// The lock tables in the run store's SQLite file; BEGIN IMMEDIATE serialises writers, so no row locks are needed.
/// </summary>
public sealed class SqliteLockStore : SqlLockStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database;

    public SqliteLockStore(string path) => _database = new SqliteDatabase(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private protected override string ForUpdate => "";

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("lock_schema_version", LockSchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);
}
