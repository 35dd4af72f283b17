using Npgsql;

namespace Hearth.Bench.Store;

/// <summary>The raw loop on PostgreSQL: one statement per move, the claim with FOR UPDATE SKIP LOCKED.</summary>
public sealed class PostgresRawClaimLoop(NpgsqlDataSource dataSource) : IRawClaimLoop
{
    public async Task<int> DrainAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var claim = new NpgsqlCommand(
            """
            UPDATE tasks SET state = 'Leased', epoch = epoch + 1
            WHERE id = (SELECT id FROM tasks WHERE state = 'Pending' ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, epoch;
            """,
            connection
        );
        await using var complete = new NpgsqlCommand(
            "UPDATE tasks SET state = 'Succeeded' WHERE id = @id AND epoch = @epoch;",
            connection
        );
        var pId = complete.Parameters.Add(new NpgsqlParameter<string>("id", ""));
        var pEpoch = complete.Parameters.Add(new NpgsqlParameter<long>("epoch", 0L));
        var done = 0;
        while (true)
        {
            await using (var reader = await claim.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct))
                    return done;
                pId.Value = reader.GetString(0);
                pEpoch.Value = reader.GetInt64(1);
            }
            await complete.ExecuteNonQueryAsync(ct);
            done++;
        }
    }
}
