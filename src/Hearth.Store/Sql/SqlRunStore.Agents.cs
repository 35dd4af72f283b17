using System.Security.Cryptography;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<AgentRecord> RegisterAgentAsync(
        AgentRegistration registration,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            await ExecAsync(
                connection,
                tx,
                """
                INSERT INTO agents (id, name, labels, capacity, version, registered_at, last_seen_at, drivers)
                VALUES (@id, @name, @labels, @capacity, @version, @now, @now, @drivers);
                """,
                ct,
                ("@id", id),
                ("@name", registration.Name),
                ("@labels", Json(registration.Labels)),
                ("@capacity", registration.Capacity),
                ("@version", registration.Version),
                ("@now", Ms(now)),
                ("@drivers", Json((registration.Drivers ?? []).ToList()))
            );
            await tx.CommitAsync(ct);
        }
        return new AgentRecord(
            id,
            registration.Name,
            registration.Labels,
            registration.Capacity,
            registration.Version,
            now,
            now,
            registration.Drivers ?? []
        );
    }

    public async Task<IReadOnlyList<AgentRecord>> ListAgentsAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            "SELECT id, name, labels, capacity, version, registered_at, last_seen_at, draining_since, drivers FROM agents "
                + "ORDER BY last_seen_at DESC, id;"
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var agents = new List<AgentRecord>();
        while (await reader.ReadAsync(ct))
        {
            agents.Add(
                new AgentRecord(
                    reader.GetString(0),
                    reader.GetString(1),
                    FromJson<Dictionary<string, string>>(reader.GetString(2)),
                    reader.GetInt32(3),
                    reader.GetString(4),
                    Time(reader, 5)!.Value,
                    Time(reader, 6)!.Value,
                    FromJson<List<Hearth.Core.Api.AgentDriverView>>(reader.GetString(8))
                )
                {
                    DrainingSince = Time(reader, 7),
                }
            );
        }
        return agents;
    }

    public async Task TouchAgentAsync(string agentId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE agents SET last_seen_at = @now WHERE id = @id;",
            ct,
            ("@now", Ms(now)),
            ("@id", agentId)
        );
    }

    public async Task<bool> DrainAgentAsync(string agentId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var changed = await ExecAsync(
            connection,
            null,
            "UPDATE agents SET draining_since = COALESCE(draining_since, @now) WHERE id = @id;",
            ct,
            ("@now", Ms(now)),
            ("@id", agentId)
        );
        return changed > 0;
    }

    public async Task<IReadOnlyDictionary<string, int>> CountLeasedTasksAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            "SELECT agent_id, COUNT(*) FROM tasks WHERE state IN ('Leased', 'Running') AND agent_id IS NOT NULL GROUP BY agent_id;"
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        return counts;
    }
}
