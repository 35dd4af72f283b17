using System.Data.Common;
using Hearth.Store.Sqlite;

namespace Hearth.Store.Schedules;

/// <summary>The schedule table in the run store's SQLite file.</summary>
public sealed class SqliteScheduleStore(string path) : SqlScheduleStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database = new(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("schedule_schema_version", ScheduleSchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);
}
