using System.Data.Common;
using System.Runtime.CompilerServices;
using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<DeliveryResult> RecordDeliveryAsync(
        WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs,
        CancellationToken ct
    )
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
            if (await FindDeliveryAsync(connection, null, delivery, ct) is { } first)
                return first;
            throw;
        }
    }

    private async Task<DeliveryResult> RecordDeliveryOnceAsync(
        WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (await FindDeliveryAsync(connection, tx, delivery, ct) is { } seen)
                return seen;
            var result = await WriteDeliveryAsync(connection, tx, delivery, runs, ct);
            await tx.CommitAsync(ct);
            return result;
        }
    }

    public async Task<IReadOnlyList<DeliveryResult?>> RecordDeliveriesAsync(
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    )
    {
        try
        {
            // Most batches break nothing: written without savepoints, with a few statements for the whole batch.
            return await RecordBatchTogetherAsync(batch, ct);
        }
        catch (DbException)
        {
            return await RecordWithSavepointsAsync(batch, ct);
        }
    }

    /// <summary>
    /// The batch in a few statements whatever its size: one query for its earlier deliveries and its runs' keys, one
    /// multi-row INSERT per table (runs, tasks, deliveries; sent together on PostgreSQL), the commit. A run with a task
    /// that takes a lock is written on its own (the lock's queue is read and written per task).
    /// </summary>
    private async Task<IReadOnlyList<DeliveryResult?>> RecordBatchTogetherAsync(
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    )
    {
        var results = new DeliveryResult?[batch.Count];
        // The rows (their JSON) were built by each request before it queued (PrepareDelivery), else they are built
        // here, before the write lock is taken: the lock is the one thing writers wait for.
        var prepared = batch.Select(w => w.Runs.Select(PreparedRows).ToList()).ToList();
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var (seen, keyed) = await FindBatchAsync(connection, tx, batch, ct);
            var runRows = new List<object?[]>();
            var taskRows = new List<object?[]>();
            var deliveryRows = new List<(WebhookDelivery, List<string>)>();
            for (var i = 0; i < batch.Count; i++)
            {
                var (delivery, runs) = batch[i];
                var key = (delivery.Repository, delivery.DeliveryId);
                if (seen.TryGetValue(key, out var first))
                {
                    results[i] = new DeliveryResult(Recorded: false, first);
                    continue;
                }
                var runIds = new List<string>();
                for (var j = 0; j < runs.Count; j++)
                {
                    var (run, tasks, runKey) = runs[j];
                    // The idempotency path of any front door: a key seen before (the same delivery under another id)
                    // keeps its run.
                    var by = (run.CreatedBy ?? "", runKey.Key);
                    if (keyed.TryGetValue(by, out var existing))
                    {
                        runIds.Add(existing);
                        continue;
                    }
                    if (prepared[i][j] is { } rows)
                    {
                        runRows.Add(rows.Run);
                        taskRows.AddRange(rows.Tasks);
                    }
                    else
                    {
                        await InsertRunAsync(connection, tx, run, tasks, runKey, ct);
                    }
                    keyed[by] = run.Id;
                    runIds.Add(run.Id);
                }
                deliveryRows.Add((delivery, runIds));
                results[i] = new DeliveryResult(Recorded: true, runIds);
                seen[key] = runIds;
            }
            var statements = new BatchedStatements();
            statements.AddInsert("runs", RunInsertColumns, null, runRows);
            statements.AddInsert("tasks", TaskInsertColumns, TaskInsertPlaceholders, taskRows);
            statements.AddInsert("webhook_deliveries", DeliveryColumns, null, deliveryRows.ConvertAll(DeliveryRow));
            await statements.ExecuteAsync(connection, tx, ct);
            await tx.CommitAsync(ct);
        }
        return results;
    }

    // The rows of runs built by the request that queued them (PrepareDelivery), kept until the batch takes them.
    private static readonly ConditionalWeakTable<DeliveryRun, RowsOf> Prepared = new();

    private sealed record RowsOf((object?[] Run, List<object?[]> Tasks)? Rows);

    public void PrepareDelivery(DeliveryWrite write)
    {
        foreach (var run in write.Runs)
            Prepared.AddOrUpdate(run, new RowsOf(BuildRows(run)));
    }

    private static (object?[] Run, List<object?[]> Tasks)? PreparedRows(DeliveryRun run) =>
        Prepared.TryGetValue(run, out var rows) ? rows.Rows : BuildRows(run);

    /// <summary>
    /// The rows of a run none of whose tasks takes a lock (null for one that does: written on its own).
    /// </summary>
    private static (object?[] Run, List<object?[]> Tasks)? BuildRows(DeliveryRun run) =>
        TakesLock(run.Tasks) ? null : RunRows(run.Run, run.Tasks, run.Key);

    private static readonly string[] RunInsertColumns =
    [
        "id",
        "kind",
        "state",
        "spec",
        "created_at",
        "created_by",
        "plan",
        "idempotency_key",
        "request_hash",
    ];

    private static readonly string[] TaskInsertColumns =
    [
        "id",
        "run_id",
        "name",
        "kind",
        "state",
        "spec",
        "requirements",
        "attempt",
        "max_attempts",
        "queued_at",
        "reason",
        "ended_at",
    ];

    private string?[] TaskInsertPlaceholders =>
        [null, null, null, null, null, null, JsonParameter("{0}"), null, null, null, null, null];

    private static readonly string[] DeliveryColumns =
    [
        "repository",
        "delivery_id",
        "forge",
        "event",
        "received_at",
        "headers",
        "body",
        "outcome",
        "run_ids",
    ];

    private static bool TakesLock(IReadOnlyList<NewTask> tasks) =>
        tasks.Any(t => t.InitialState == TaskState.Pending && t.Spec.Lock is not null);

    /// <summary>The rows <see cref="InsertRunAsync"/> writes for a run none of whose tasks takes a lock.</summary>
    private static (object?[] Run, List<object?[]> Tasks) RunRows(
        Run run,
        IReadOnlyList<NewTask> tasks,
        IdempotencyKey key
    )
    {
        object?[] runRow =
        [
            run.Id,
            run.Kind,
            run.State.ToString(),
            Json(run.Spec),
            Ms(run.CreatedAt),
            run.CreatedBy ?? "",
            run.Plan is null ? null : Json(run.Plan),
            key.Key,
            key.RequestHash,
        ];
        var taskRows = tasks
            .Select(task =>
                new object?[]
                {
                    task.Id,
                    run.Id,
                    task.Name,
                    TaskKinds.ToText(task.Kind),
                    task.InitialState.ToString(),
                    Json(task.Spec),
                    Json(task.Spec.Requirements),
                    1,
                    task.Spec.Retry?.MaxAttempts ?? task.MaxAttempts,
                    Ms(run.CreatedAt),
                    task.InitialReason,
                    Transitions.Task.IsTerminal(task.InitialState) ? Ms(run.CreatedAt) : null,
                }
            )
            .ToList();
        return (runRow, taskRows);
    }

    private static object?[] DeliveryRow((WebhookDelivery Delivery, List<string> RunIds) row)
    {
        var (d, runIds) = row;
        return
        [
            d.Repository,
            d.DeliveryId,
            d.Forge,
            d.Event,
            Ms(d.ReceivedAt),
            d.Headers,
            d.Body,
            d.Outcome,
            Json(runIds),
        ];
    }

    /// <summary>
    /// The batch's deliveries recorded before (repository, id to the runs they started) and its runs' keys already used
    /// ((creator, key) to the run), in one round trip.
    /// </summary>
    private static async Task<(
        Dictionary<(string, string), IReadOnlyList<string>> Seen,
        Dictionary<(string, string), string> Keyed
    )> FindBatchAsync(
        DbConnection connection,
        DbTransaction tx,
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    )
    {
        var (deliveriesSql, deliveryParameters) = FindDeliveriesQuery(batch);
        var pairs = new List<string>();
        var keyParameters = new List<(string, object?)>();
        foreach (var (run, _, key) in batch.SelectMany(w => w.Runs))
        {
            var i = keyParameters.Count / 2;
            pairs.Add($"(created_by = @b{i} AND idempotency_key = @k{i})");
            keyParameters.AddRange([($"@b{i}", run.CreatedBy ?? ""), ($"@k{i}", key.Key)]);
        }
        var seen = new Dictionary<(string, string), IReadOnlyList<string>>();
        var keyed = new Dictionary<(string, string), string>();
        var keysSql =
            pairs.Count == 0
                ? null
                : $"SELECT created_by, idempotency_key, id FROM runs WHERE {string.Join(" OR ", pairs)};";
        void ReadSeen(DbDataReader r) =>
            seen[(r.GetString(0), r.GetString(1))] = FromJson<List<string>>(r.GetString(2));
        void ReadKeyed(DbDataReader r) => keyed[(r.GetString(0), r.GetString(1))] = r.GetString(2);
        if (keysSql is null || !connection.CanCreateBatch)
        {
            await ReadAllAsync(Command(connection, tx, deliveriesSql, [.. deliveryParameters]), ReadSeen, ct);
            if (keysSql is not null)
                await ReadAllAsync(Command(connection, tx, keysSql, [.. keyParameters]), ReadKeyed, ct);
            return (seen, keyed);
        }
        await using var both = connection.CreateBatch();
        both.Transaction = tx;
        foreach (var (sql, parameters) in new[] { (deliveriesSql, deliveryParameters), (keysSql, keyParameters) })
        {
            var command = both.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }
            both.BatchCommands.Add(command);
        }
        await using var reader = await both.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            ReadSeen(reader);
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
            ReadKeyed(reader);
        return (seen, keyed);
    }

    private static async Task ReadAllAsync(DbCommand command, Action<DbDataReader> read, CancellationToken ct)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                read(reader);
        }
    }

    /// <summary>
    /// With a savepoint per delivery: one that fails is rolled back alone and reported as null (recorded again alone).
    /// </summary>
    private async Task<IReadOnlyList<DeliveryResult?>> RecordWithSavepointsAsync(
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    )
    {
        var results = new DeliveryResult?[batch.Count];
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var seen = await FindDeliveriesAsync(connection, tx, batch, ct);
            for (var i = 0; i < batch.Count; i++)
            {
                var (delivery, runs) = batch[i];
                var key = (delivery.Repository, delivery.DeliveryId);
                if (seen.TryGetValue(key, out var first))
                {
                    results[i] = new DeliveryResult(Recorded: false, first);
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
            await tx.CommitAsync(ct);
        }
        return results;
    }

    /// <summary>
    /// The batch's deliveries recorded before, in one query: (repository, id) to the runs they started.
    /// </summary>
    private static async Task<Dictionary<(string, string), IReadOnlyList<string>>> FindDeliveriesAsync(
        DbConnection connection,
        DbTransaction tx,
        IReadOnlyList<DeliveryWrite> batch,
        CancellationToken ct
    )
    {
        var (sql, parameters) = FindDeliveriesQuery(batch);
        var found = new Dictionary<(string, string), IReadOnlyList<string>>();
        await ReadAllAsync(
            Command(connection, tx, sql, [.. parameters]),
            r => found[(r.GetString(0), r.GetString(1))] = FromJson<List<string>>(r.GetString(2)),
            ct
        );
        return found;
    }

    private static (string Sql, List<(string, object?)> Parameters) FindDeliveriesQuery(
        IReadOnlyList<DeliveryWrite> batch
    )
    {
        var parameters = new List<(string, object?)>();
        var pairs = new List<string>();
        for (var i = 0; i < batch.Count; i++)
        {
            pairs.Add($"(repository = @r{i} AND delivery_id = @d{i})");
            parameters.Add(($"@r{i}", batch[i].Delivery.Repository));
            parameters.Add(($"@d{i}", batch[i].Delivery.DeliveryId));
        }
        return (
            $"SELECT repository, delivery_id, run_ids FROM webhook_deliveries WHERE {string.Join(" OR ", pairs)};",
            parameters
        );
    }

    /// <summary>
    /// The delivery (not recorded before: the caller looked) and its runs, written in the caller's transaction.
    /// </summary>
    private async Task<DeliveryResult> WriteDeliveryAsync(
        DbConnection connection,
        DbTransaction tx,
        WebhookDelivery delivery,
        IReadOnlyList<DeliveryRun> runs,
        CancellationToken ct
    )
    {
        var runIds = await WriteRunsAsync(connection, tx, runs, ct);
        await InsertDeliveriesAsync(connection, tx, [(delivery, runIds)], ct);
        return new DeliveryResult(Recorded: true, runIds);
    }

    private async Task<List<string>> WriteRunsAsync(
        DbConnection connection,
        DbTransaction tx,
        IReadOnlyList<DeliveryRun> runs,
        CancellationToken ct
    )
    {
        var runIds = new List<string>();
        foreach (var (run, tasks, key) in runs)
        {
            // The idempotency path of any front door: a key seen before (the same delivery under another id) keeps its
            // run.
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
    private static async Task InsertDeliveriesAsync(
        DbConnection connection,
        DbTransaction tx,
        IReadOnlyList<(WebhookDelivery Delivery, List<string> RunIds)> rows,
        CancellationToken ct
    )
    {
        if (rows.Count == 0)
            return;
        var values = new List<string>();
        var parameters = new List<(string, object?)>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (d, runIds) = rows[i];
            values.Add(
                $"(@repo{i}, @id{i}, @forge{i}, @event{i}, @at{i}, @headers{i}, @body{i}, @outcome{i}, @runs{i})"
            );
            parameters.AddRange([
                ($"@repo{i}", d.Repository),
                ($"@id{i}", d.DeliveryId),
                ($"@forge{i}", d.Forge),
                ($"@event{i}", d.Event),
                ($"@at{i}", Ms(d.ReceivedAt)),
                ($"@headers{i}", d.Headers),
                ($"@body{i}", d.Body),
                ($"@outcome{i}", d.Outcome),
                ($"@runs{i}", Json(runIds)),
            ]);
        }
        await ExecAsync(
            connection,
            tx,
            $"INSERT INTO webhook_deliveries (repository, delivery_id, forge, event, received_at, headers, body, outcome, run_ids) VALUES {string.Join(", ", values)};",
            ct,
            [.. parameters]
        );
    }

    public async Task<DeliveryResult?> FindDeliveryAsync(string repository, string deliveryId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await FindDeliveryAsync(connection, null, repository, deliveryId, ct);
    }

    private static Task<DeliveryResult?> FindDeliveryAsync(
        DbConnection connection,
        DbTransaction? tx,
        WebhookDelivery delivery,
        CancellationToken ct
    ) => FindDeliveryAsync(connection, tx, delivery.Repository, delivery.DeliveryId, ct);

    private static async Task<DeliveryResult?> FindDeliveryAsync(
        DbConnection connection,
        DbTransaction? tx,
        string repository,
        string deliveryId,
        CancellationToken ct
    )
    {
        var ids = await ScalarAsync(
            connection,
            tx,
            "SELECT run_ids FROM webhook_deliveries WHERE repository = @repo AND delivery_id = @id;",
            ct,
            ("@repo", repository),
            ("@id", deliveryId)
        );
        return ids is string json ? new DeliveryResult(Recorded: false, FromJson<List<string>>(json)) : null;
    }
}
