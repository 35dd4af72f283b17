using System.Data;
using System.Data.Common;
using Hearth.Store.Postgres;
using Npgsql;

namespace Hearth.Store.Access;

/// <summary>
/// The access tables in PostgreSQL, shared by every server on the database. Writes at READ COMMITTED.
/// </summary>
public sealed class PostgresAccessStore : SqlAccessStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the access migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A01;
    private readonly PostgresDatabase _database;

    public PostgresAccessStore(string connectionString) => _database = new PostgresDatabase(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("access_schema_version", AccessSchema.Postgres, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    private protected override bool IsUniqueViolation(DbException e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
