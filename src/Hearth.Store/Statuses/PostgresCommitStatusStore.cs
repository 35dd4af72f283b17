using System.Data.Common;
using Hearth.Store.Postgres;

namespace Hearth.Store.Statuses;

/// <summary>The commit-status tables in PostgreSQL, shared by every server.</summary>
public sealed class PostgresCommitStatusStore(string connectionString) : SqlCommitStatusStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the commit-status migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A53;
    private readonly PostgresDatabase _database = new(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("commit_status_schema_version", CommitStatusSchema.Migrations, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
