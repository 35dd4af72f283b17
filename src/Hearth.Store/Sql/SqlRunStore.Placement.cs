using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// What placement reads (pending tasks) and the one write it makes: failing a task nothing can ever take.
/// </summary>
public abstract partial class SqlRunStore
{
    public async Task<IReadOnlyList<PendingTask>> ListPendingTasksAsync(
        DateTimeOffset now,
        int limit,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            """
            SELECT id, run_id, name, spec, queued_at FROM tasks
            WHERE state = 'Pending' AND (not_before IS NULL OR not_before <= @now) ORDER BY queued_at, id LIMIT @limit;
            """,
            ("@now", Ms(now)),
            ("@limit", limit)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tasks = new List<PendingTask>();
        while (await reader.ReadAsync(ct))
        {
            tasks.Add(
                new PendingTask(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    FromJson<TaskSpec>(reader.GetString(3)),
                    Time(reader, 4)!.Value
                )
            );
        }
        return tasks;
    }

    public async Task<bool> FailPendingAsync(string taskId, string reason, DateTimeOffset now, CancellationToken ct)
    {
        string? runId;
        await using (var reader = await OpenAsync(ct))
            runId =
                await ScalarAsync(reader, null, "SELECT run_id FROM tasks WHERE id = @id;", ct, ("@id", taskId))
                as string;
        if (runId is null)
            return false;
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var plan = await DecideAndApplyAsync(connection, tx, runId, new TaskUnplaceable(taskId, reason, now), ct);
            if (plan.IsEmpty)
                return false;
            await tx.CommitAsync(ct);
            return true;
        }
    }
}
