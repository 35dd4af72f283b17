using System.Data.Common;
using Hearth.Store.Postgres;
using Npgsql;

namespace Hearth.Store.Repositories;

/// <summary>The repository table in PostgreSQL, shared by every server.</summary>
public sealed class PostgresRepositoryStore(string connectionString) : SqlRepositoryStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the repository migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A04;
    private readonly PostgresDatabase _database = new(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("repository_schema_version", RepositorySchema.Migrations, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override bool IsUniqueViolation(DbException e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
