using System.Data.Common;
using Hearth.Store.Sqlite;

namespace Hearth.Store.Statuses;

/// <summary>The commit-status tables in the run store's SQLite file; BEGIN IMMEDIATE serialises writers.</summary>
public sealed class SqliteCommitStatusStore(string path) : SqlCommitStatusStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database = new(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("commit_status_schema_version", CommitStatusSchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);
}
