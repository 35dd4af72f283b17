using System.Data.Common;
using Hearth.Store.Postgres;

namespace Hearth.Store.Services;

/// <summary>The services' tables in PostgreSQL, shared by every server.</summary>
public sealed class PostgresServiceStore(string connectionString) : SqlServiceStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the service migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A52;
    private readonly PostgresDatabase _database = new(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("service_schema_version", ServiceSchema.Postgres, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
