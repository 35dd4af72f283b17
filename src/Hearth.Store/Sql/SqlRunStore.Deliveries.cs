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
            var result = await WriteDeliveryAsync(connection, tx, delivery, runs, ct);
            if (result.Recorded) await tx.CommitAsync(ct);
            return result;
        }
    }

    public async Task<IReadOnlyList<DeliveryResult?>> RecordDeliveriesAsync(IReadOnlyList<DeliveryWrite> batch, CancellationToken ct)
    {
        var results = new DeliveryResult?[batch.Count];
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                // A savepoint per delivery: one that breaks a constraint (or races another server on PostgreSQL, where
                // an error aborts the whole transaction otherwise) is undone alone.
                await tx.SaveAsync("delivery", ct);
                try
                {
                    results[i] = await WriteDeliveryAsync(connection, tx, batch[i].Delivery, batch[i].Runs, ct);
                    await tx.ReleaseAsync("delivery", ct);
                }
                catch (DbException)
                {
                    await tx.RollbackAsync("delivery", ct);
                    await tx.ReleaseAsync("delivery", ct);
                }
            }
            await tx.CommitAsync(ct);
        }
        return results;
    }

    /// <summary>The delivery and its runs, written in the caller's transaction; a delivery seen before writes nothing.</summary>
    private async Task<DeliveryResult> WriteDeliveryAsync(DbConnection connection, DbTransaction tx, WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs, CancellationToken ct)
    {
        if (await FindDeliveryAsync(connection, tx, delivery, ct) is { } seen) return seen;
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
        await ExecAsync(connection, tx,
            """
            INSERT INTO webhook_deliveries (repository, delivery_id, forge, event, received_at, headers, body, outcome, run_ids)
            VALUES (@repo, @id, @forge, @event, @at, @headers, @body, @outcome, @runs);
            """, ct,
            ("@repo", delivery.Repository), ("@id", delivery.DeliveryId), ("@forge", delivery.Forge), ("@event", delivery.Event),
            ("@at", Ms(delivery.ReceivedAt)), ("@headers", delivery.Headers), ("@body", delivery.Body), ("@outcome", delivery.Outcome),
            ("@runs", Json(runIds)));
        return new DeliveryResult(Recorded: true, runIds);
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
