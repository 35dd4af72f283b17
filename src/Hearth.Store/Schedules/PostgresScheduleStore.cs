using System.Data.Common;
using Hearth.Store.Postgres;

namespace Hearth.Store.Schedules;

/// <summary>The schedule table in PostgreSQL, shared by every server.</summary>
public sealed class PostgresScheduleStore(string connectionString) : SqlScheduleStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the schedule migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A31;
    private readonly PostgresDatabase _database = new(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("schedule_schema_version", ScheduleSchema.Migrations, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
