using System.Data.Common;
using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Access;

/// <summary>
/// The access tables in a SQLite file (by default the run store's own file): WAL, synchronous=FULL, and write
/// transactions as BEGIN IMMEDIATE so SQLite serialises writers.
/// </summary>
public sealed class SqliteAccessStore : SqlAccessStore, IAsyncDisposable
{
    private const int ConstraintViolation = 19;
    private readonly SqliteDatabase _database;

    public SqliteAccessStore(string path) => _database = new SqliteDatabase(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("access_schema_version", AccessSchema.Sqlite, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    private protected override bool IsUniqueViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: ConstraintViolation };
}
