using System.Data.Common;
using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Repositories;

/// <summary>The repository table in the run store's SQLite file.</summary>
public sealed class SqliteRepositoryStore(string path) : SqlRepositoryStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database = new(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("repository_schema_version", RepositorySchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override bool IsUniqueViolation(DbException e) => e is SqliteException { SqliteErrorCode: 19 };
}
