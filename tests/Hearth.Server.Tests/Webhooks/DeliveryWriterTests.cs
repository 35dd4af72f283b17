using Hearth.Core.Runs;
using Hearth.Lifecycle;
using Hearth.Server.Creation;
using Hearth.Store;
using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// The group-commit writer against a real SQLite store: deliveries queued while it is busy (here: before it starts) are
/// written together, each answered once its own delivery is readable from another connection; a repeat inside one
/// batch makes one run; one that breaks a constraint fails alone; stopping writes what was queued and refuses the rest.
/// </summary>
public sealed class DeliveryWriterTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-writer-").FullName;
    private SqliteRunStore _store = null!;
    private SqliteRunStore _reader = null!;
    private DeliveryWriter _writer = null!;
    private readonly Telemetry.HearthMetrics _metrics = new();

    public async Task InitializeAsync()
    {
        var path = Path.Combine(_dir, "hearth.db");
        _store = new SqliteRunStore(path, new LifecycleRules());
        await _store.MigrateAsync(CancellationToken.None);
        _reader = new SqliteRunStore(path, new LifecycleRules());
        _writer = new DeliveryWriter(_store, _metrics, TimeProvider.System, NullLogger<DeliveryWriter>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(CancellationToken.None);
        _metrics.Dispose();
        await _reader.DisposeAsync();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static (WebhookDelivery, IReadOnlyList<DeliveryRun>) Delivery(string id, string runId)
    {
        var spec = new TaskSpec { Command = ["true"] };
        var run = new Run
        {
            Id = runId,
            Kind = "workflow",
            State = RunState.Starting,
            CreatedAt = DateTimeOffset.UnixEpoch,
            Spec = spec,
            CreatedBy = "repository:app",
        };
        var delivery = new WebhookDelivery(
            "app",
            id,
            "github",
            "push",
            DateTimeOffset.UnixEpoch,
            "{}",
            "{}",
            "started ci.kdl"
        );
        return (
            delivery,
            [
                new DeliveryRun(
                    run,
                    [new NewTask(runId + "-1", "0", spec, 1)],
                    new IdempotencyKey($"delivery:{id}:ci.kdl", "ci.kdl")
                ),
            ]
        );
    }

    /// <summary>
    /// Queues the delivery; when its task completes, whether another connection already sees it recorded.
    /// </summary>
    private Task<(DeliveryResult Result, bool VisibleWhenAnswered)> WriteAsync(string id, string runId)
    {
        var (delivery, runs) = Delivery(id, runId);
        return _writer
            .WriteAsync(delivery, runs)
            .ContinueWith(async done =>
            {
                var result = await done;
                return (result, await _reader.FindDeliveryAsync("app", id, CancellationToken.None) is not null);
            })
            .Unwrap();
    }

    [Fact]
    public async Task Queued_deliveries_are_committed_together_each_answered_after_its_commit_and_a_repeat_makes_one_run()
    {
        var batches = new List<long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == "hearth_webhook_batch_deliveries")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>(
            (_, value, _, _) =>
            {
                lock (batches)
                    batches.Add(value);
            }
        );
        listener.Start();
        var writes = Enumerable.Range(0, 24).Select(i => WriteAsync($"d-{i}", $"run-{i}")).ToList();
        var repeat = WriteAsync("d-3", "run-repeat");
        await _writer.StartAsync(CancellationToken.None);
        var (late, lateRuns) = Delivery("d-late", "run-late");
        Assert.True((await _writer.WriteAsync(late, lateRuns)).Recorded);

        var results = await Task.WhenAll(writes);
        Assert.All(results, r => Assert.True(r.Result.Recorded));
        Assert.All(results, r => Assert.True(r.VisibleWhenAnswered));
        for (var i = 0; i < 24; i++)
            Assert.Equal([$"run-{i}"], results[i].Result.RunIds);
        var (again, visible) = await repeat;
        Assert.False(again.Recorded);
        Assert.True(visible);
        Assert.Equal(["run-3"], again.RunIds);
        Assert.Null(await _reader.GetRunAsync("run-repeat", CancellationToken.None));
        Assert.NotNull(await _reader.GetRunAsync("run-late", CancellationToken.None));
        lock (batches)
        {
            // The 25 queued before the start share one transaction; the late one joins it or comes alone after it.
            Assert.Equal(26, batches.Sum());
            Assert.InRange(batches[0], 25, 26);
        }
    }

    [Fact]
    public async Task A_delivery_that_fails_in_a_batch_fails_alone_and_the_others_are_committed()
    {
        var (taken, takenRuns) = Delivery("first", "run-taken");
        await _store.RecordDeliveryAsync(taken, takenRuns, CancellationToken.None);
        var before = WriteAsync("before", "run-before");
        var (poisoned, clash) = Delivery("poisoned", "run-taken"); // a run id that exists: the insert breaks the primary key
        var failing = _writer.WriteAsync(poisoned, clash);
        var after = WriteAsync("after", "run-after");
        await _writer.StartAsync(CancellationToken.None);

        Assert.True((await before).Result.Recorded);
        Assert.True((await after).Result.Recorded);
        await Assert.ThrowsAsync<SqliteException>(() => failing);
        Assert.Null(await _reader.FindDeliveryAsync("app", "poisoned", CancellationToken.None));
        Assert.NotNull(await _reader.GetRunAsync("run-after", CancellationToken.None));
    }

    [Fact]
    public async Task Stopping_writes_every_queued_delivery_and_refuses_new_ones()
    {
        await _writer.StartAsync(CancellationToken.None);
        var writes = Enumerable
            .Range(0, 10)
            .Select(i => Delivery($"s-{i}", $"run-s-{i}"))
            .Select(d => _writer.WriteAsync(d.Item1, d.Item2))
            .ToList();
        await _writer.StopAsync(CancellationToken.None);

        Assert.All(writes, w => Assert.True(w.IsCompletedSuccessfully && w.Result.Recorded));
        for (var i = 0; i < 10; i++)
            Assert.NotNull(await _reader.FindDeliveryAsync("app", $"s-{i}", CancellationToken.None));
        var (delivery, runs) = Delivery("too-late", "run-too-late");
        Assert.Throws<ServerStoppingException>(() =>
        {
            _ = _writer.WriteAsync(delivery, runs);
        });
        Assert.Null(await _reader.FindDeliveryAsync("app", "too-late", CancellationToken.None));
    }
}
