using Microsoft.Data.Sqlite;

namespace Hearth.Bench.Store;

/// <summary>The raw loop on SQLite, with the store's own settings: WAL, synchronous=FULL, BEGIN IMMEDIATE.</summary>
public sealed class SqliteRawClaimLoop(string path) : IRawClaimLoop
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public async Task<int> DrainAsync(CancellationToken ct)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await Exec(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct);
        var done = 0;
        while (true)
        {
            string? id;
            long epoch;
            await using (var tx = connection.BeginTransaction(deferred: false))
            {
                await using var claim = connection.CreateCommand();
                claim.Transaction = tx;
                claim.CommandText = """
                    UPDATE tasks SET state = 'Leased', epoch = epoch + 1
                    WHERE id = (SELECT id FROM tasks WHERE state = 'Pending' ORDER BY queued_at, id LIMIT 1)
                    RETURNING id, epoch;
                    """;
                await using var reader = await claim.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct))
                    return done;
                (id, epoch) = (reader.GetString(0), reader.GetInt64(1));
                await reader.DisposeAsync();
                await tx.CommitAsync(ct);
            }
            await using (var tx = connection.BeginTransaction(deferred: false))
            {
                await Exec(
                    connection,
                    tx,
                    $"UPDATE tasks SET state = 'Succeeded' WHERE id = '{id}' AND epoch = {epoch};",
                    ct
                );
                await tx.CommitAsync(ct);
            }
            done++;
        }
    }

    private static async Task Exec(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}
