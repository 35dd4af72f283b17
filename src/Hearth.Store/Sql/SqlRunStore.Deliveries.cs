using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<DeliveryResult> RecordDeliveryAsync(WebhookDelivery delivery, IReadOnlyList<DeliveryRun> runs, CancellationToken ct)
    {
        try
        {
            return await RecordDeliveryOnceAsync(delivery, runs, ct);
        }
        catch (DbException)
        {
            // The same delivery committed between our look-up and our insert (two servers, or a forge's quick retry):
            // the primary key refused ours, and that first recording is the answer.
            await using var connection = await OpenAsync(ct);
            if (await FindDeliveryAsync(connection, null, delivery, ct) is { } first) return first;
            throw;
        }
    }

    private async Task<DeliveryResult> RecordDeliveryOnceAsync(WebhookDelivery delivery, IReadOnlyList<DeliveryRun> runs, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (await FindDeliveryAsync(connection, tx, delivery, ct) is { } seen) return seen;
            var result = await WriteDeliveryAsync(connection, tx, delivery, runs, ct);
            await tx.CommitAsync(ct);
            return result;
        }
    }

    public async Task<IReadOnlyList<DeliveryResult?>> RecordDeliveriesAsync(IReadOnlyList<DeliveryWrite> batch, CancellationToken ct)
    {
        try
        {
            // Most batches break nothing: written without savepoints, two statements (round trips on PostgreSQL) fewer each.
            return await RecordBatchAsync(batch, savepoints: false, ct);
        }
        catch (DbException)
        {
            return await RecordBatchAsync(batch, savepoints: true, ct);
        }
    }

    private async Task<IReadOnlyList<DeliveryResult?>> RecordBatchAsync(IReadOnlyList<DeliveryWrite> batch, bool savepoints, CancellationToken ct)
    {
        var results = new DeliveryResult?[batch.Count];
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var seen = await FindDeliveriesAsync(connection, tx, batch, ct);
            var rows = new List<(WebhookDelivery, List<string>)>(); // without savepoints, all rows go in one statement at the end
            for (var i = 0; i < batch.Count; i++)
            {
                var (delivery, runs) = batch[i];
                var key = (delivery.Repository, delivery.DeliveryId);
                if (seen.TryGetValue(key, out var first))
                {
                    results[i] = new DeliveryResult(Recorded: false, first);
                    continue;
                }
                if (!savepoints)
                {
                    var runIds = await WriteRunsAsync(connection, tx, runs, ct);
                    rows.Add((delivery, runIds));
                    results[i] = new DeliveryResult(Recorded: true, runIds);
                    seen[key] = runIds;
                    continue;
                }
                // A savepoint per delivery: one that breaks a constraint (or races another server on PostgreSQL, where
                // an error aborts the whole transaction otherwise) is undone alone.
                await tx.SaveAsync("delivery", ct);
                try
                {
                    results[i] = await WriteDeliveryAsync(connection, tx, delivery, runs, ct);
                    await tx.ReleaseAsync("delivery", ct);
                    seen[key] = results[i]!.RunIds;
                }
                catch (DbException)
                {
                    await tx.RollbackAsync("delivery", ct);
                    await tx.ReleaseAsync("delivery", ct);
                }
            }
            await InsertDeliveriesAsync(connection, tx, rows, ct);
            await tx.CommitAsync(ct);
        }
        return results;
    }

    /// <summary>The batch's deliveries recorded before, in one query: (repository, id) to the runs they started.</summary>
    private static async Task<Dictionary<(string, string), IReadOnlyList<string>>> FindDeliveriesAsync(DbConnection connection,
        DbTransaction tx, IReadOnlyList<DeliveryWrite> batch, CancellationToken ct)
    {
        var parameters = new List<(string, object?)>();
        var pairs = new List<string>();
        for (var i = 0; i < batch.Count; i++)
        {
            pairs.Add($"(repository = @r{i} AND delivery_id = @d{i})");
            parameters.Add(($"@r{i}", batch[i].Delivery.Repository));
            parameters.Add(($"@d{i}", batch[i].Delivery.DeliveryId));
        }
        var found = new Dictionary<(string, string), IReadOnlyList<string>>();
        await using var command = Command(connection, tx,
            $"SELECT repository, delivery_id, run_ids FROM webhook_deliveries WHERE {string.Join(" OR ", pairs)};", [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found[(reader.GetString(0), reader.GetString(1))] = FromJson<List<string>>(reader.GetString(2));
        return found;
    }

    /// <summary>The delivery (not recorded before: the caller looked) and its runs, written in the caller's transaction.</summary>
    private async Task<DeliveryResult> WriteDeliveryAsync(DbConnection connection, DbTransaction tx, WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs, CancellationToken ct)
    {
        var runIds = await WriteRunsAsync(connection, tx, runs, ct);
        await InsertDeliveriesAsync(connection, tx, [(delivery, runIds)], ct);
        return new DeliveryResult(Recorded: true, runIds);
    }

    private async Task<List<string>> WriteRunsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<DeliveryRun> runs, CancellationToken ct)
    {
        var runIds = new List<string>();
        foreach (var (run, tasks, key) in runs)
        {
            // The idempotency path of any front door: a key seen before (the same delivery under another id) keeps its run.
            if (await FindByKeyAsync(connection, tx, run.CreatedBy, key, ct) is { } existing)
            {
                runIds.Add(existing.RunId);
                continue;
            }
            await InsertRunAsync(connection, tx, run, tasks, key, ct);
            runIds.Add(run.Id);
        }
        return runIds;
    }

    /// <summary>The deliveries' rows in one statement (one round trip for a whole batch).</summary>
    private static async Task InsertDeliveriesAsync(DbConnection connection, DbTransaction tx,
        IReadOnlyList<(WebhookDelivery Delivery, List<string> RunIds)> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        var values = new List<string>();
        var parameters = new List<(string, object?)>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (d, runIds) = rows[i];
            values.Add($"(@repo{i}, @id{i}, @forge{i}, @event{i}, @at{i}, @headers{i}, @body{i}, @outcome{i}, @runs{i})");
            parameters.AddRange([($"@repo{i}", d.Repository), ($"@id{i}", d.DeliveryId), ($"@forge{i}", d.Forge), ($"@event{i}", d.Event),
                ($"@at{i}", Ms(d.ReceivedAt)), ($"@headers{i}", d.Headers), ($"@body{i}", d.Body), ($"@outcome{i}", d.Outcome),
                ($"@runs{i}", Json(runIds))]);
        }
        await ExecAsync(connection, tx,
            $"INSERT INTO webhook_deliveries (repository, delivery_id, forge, event, received_at, headers, body, outcome, run_ids) VALUES {string.Join(", ", values)};",
            ct, [.. parameters]);
    }

    public async Task<DeliveryResult?> FindDeliveryAsync(string repository, string deliveryId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await FindDeliveryAsync(connection, null, repository, deliveryId, ct);
    }

    private static Task<DeliveryResult?> FindDeliveryAsync(DbConnection connection, DbTransaction? tx, WebhookDelivery delivery, CancellationToken ct) =>
        FindDeliveryAsync(connection, tx, delivery.Repository, delivery.DeliveryId, ct);

    private static async Task<DeliveryResult?> FindDeliveryAsync(DbConnection connection, DbTransaction? tx, string repository, string deliveryId,
        CancellationToken ct)
    {
        var ids = await ScalarAsync(connection, tx, "SELECT run_ids FROM webhook_deliveries WHERE repository = @repo AND delivery_id = @id;", ct,
            ("@repo", repository), ("@id", deliveryId));
        return ids is string json ? new DeliveryResult(Recorded: false, FromJson<List<string>>(json)) : null;
    }
}
