using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// The secret values a task was given, kept encrypted with the task (the store never sees them in clear).
/// </summary>
public abstract partial class SqlRunStore
{
    public async Task<WriteResult> SetSecretMaskAsync(string taskId, long epoch, string encrypted, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var changed = await ExecAsync(
                connection,
                tx,
                "UPDATE tasks SET secret_mask = @mask WHERE id = @id AND epoch = @epoch AND state IN ('Leased', 'Running');",
                ct,
                ("@mask", encrypted),
                ("@id", taskId),
                ("@epoch", epoch)
            );
            if (changed == 0)
                return
                    await ScalarAsync(connection, tx, "SELECT COUNT(*) FROM tasks WHERE id = @id;", ct, ("@id", taskId))
                        is 0L
                            or 0
                    ? WriteResult.NotFound
                    : WriteResult.Stale;
            await tx.CommitAsync(ct);
            return WriteResult.Accepted;
        }
    }

    public async Task<string?> GetSecretMaskAsync(string taskId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ScalarAsync(connection, null, "SELECT secret_mask FROM tasks WHERE id = @id;", ct, ("@id", taskId))
            as string;
    }
}
