using System.Data.Common;
using Hearth.Core.Labels;
using Hearth.Core.Lifecycle;
using Hearth.Store.Sql;
using Microsoft.Data.Sqlite;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, synchronous=FULL so that whatever the API acknowledged
/// survives a crash. Write transactions are BEGIN IMMEDIATE, so SQLite itself serialises claims and every other write.
/// </summary>
public sealed class SqliteRunStore : SqlRunStore, IAsyncDisposable
{
    private const int ClaimPage = 64;
    private readonly SqliteDatabase _database;

    public SqliteRunStore(string path, ILifecycleRules rules)
        : base(rules) => _database = new SqliteDatabase(path);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    // One writer at a time already: BEGIN IMMEDIATE takes the database's write lock.
    private protected override string ForUpdate => "";

    private protected override string TaskOrder => "rowid";

    private protected override string JsonParameter(string parameter) => parameter;

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("schema_version", SqliteSchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(
        CancellationToken ct
    ) => await _database.BeginWriteAsync(ct);

    /// <summary>
    /// Pages through pending tasks oldest first and matches labels here; the write lock is held, so the row found stays
    /// pending.
    /// </summary>
    private protected override async Task<(string Sql, (string, object?)[] Parameters)?> ClaimStatementAsync(
        DbConnection connection,
        DbTransaction tx,
        ClaimRequest request,
        CancellationToken ct
    )
    {
        long after = long.MinValue;
        var afterId = "";
        while (true)
        {
            // Rows are matched as they are read, and reading stops at the first match: most claims read one row.
            var read = 0;
            await using (
                var command = Command(
                    connection,
                    tx,
                    """
                    SELECT id, requirements, queued_at FROM tasks
                    WHERE state = 'Pending' AND (not_before IS NULL OR not_before <= @now)
                        AND (queued_at > @after OR (queued_at = @after AND id > @afterId))
                    ORDER BY queued_at, id LIMIT @page;
                    """,
                    ("@now", Ms(request.Now)),
                    ("@after", after),
                    ("@afterId", afterId),
                    ("@page", ClaimPage)
                )
            )
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    read++;
                    var requirements = reader.GetString(1);
                    if (
                        requirements == "{}"
                        || LabelMatch.Satisfies(request.Labels, FromJson<Dictionary<string, string>>(requirements))
                    )
                        return (ClaimUpdate("@id"), [("@id", reader.GetString(0))]);
                    (after, afterId) = (reader.GetInt64(2), reader.GetString(0));
                }
            }
            if (read < ClaimPage)
                return null;
        }
    }
}
