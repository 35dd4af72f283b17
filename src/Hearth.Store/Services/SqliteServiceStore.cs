using System.Data.Common;
using Hearth.Store.Sqlite;

namespace Hearth.Store.Services;

/// <summary>The services' tables in the run store's SQLite file.</summary>
public sealed class SqliteServiceStore(string path) : SqlServiceStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database = new(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("service_schema_version", ServiceSchema.Sqlite, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);
}
