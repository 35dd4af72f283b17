using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>Webhook deliveries: recorded with their runs in one transaction, once per (repository, delivery id).</summary>
public abstract partial class RunStoreConformance
{
    private (WebhookDelivery Delivery, DeliveryRun Run) DeliveryWithRun(string deliveryId, string runId)
    {
        var spec = new TaskSpec { Command = ["true"] };
        var run = new Run { Id = runId, Kind = "workflow", State = RunState.Starting, CreatedAt = Time.GetUtcNow(), Spec = spec, CreatedBy = "repository:app" };
        var delivery = new WebhookDelivery("app", deliveryId, "github", "push", Time.GetUtcNow(), "{}", "{}", "started ci.kdl");
        return (delivery, new DeliveryRun(run, [new NewTask(runId + "-1", "0", spec, 1)], new IdempotencyKey($"delivery:{deliveryId}:ci.kdl", "ci.kdl")));
    }

    [Fact]
    public async Task A_delivery_is_recorded_with_its_runs_once_and_a_repeat_writes_nothing()
    {
        var (delivery, run) = DeliveryWithRun("d-1", "run-hook-1");
        var first = await Store.RecordDeliveryAsync(delivery, [run], CancellationToken.None);
        Assert.True(first.Recorded);
        Assert.Equal(["run-hook-1"], first.RunIds);
        Assert.Equal(TaskState.Pending, (await TaskOfAsync("run-hook-1")).State);

        var (again, second) = DeliveryWithRun("d-1", "run-hook-2");
        var repeat = await Store.RecordDeliveryAsync(again, [second], CancellationToken.None);
        Assert.False(repeat.Recorded);
        Assert.Equal(["run-hook-1"], repeat.RunIds);
        Assert.Null(await Store.GetRunAsync("run-hook-2", CancellationToken.None));
        Assert.Equal(["run-hook-1"], (await Store.FindDeliveryAsync("app", "d-1", CancellationToken.None))!.RunIds);
        Assert.Null(await Store.FindDeliveryAsync("app", "d-2", CancellationToken.None));
    }

    [Fact]
    public async Task Racing_repeats_of_a_delivery_create_one_run()
    {
        var attempts = Enumerable.Range(0, 6).Select(i => DeliveryWithRun("race", $"run-race-{i}")).ToList();
        var results = await Task.WhenAll(attempts.Select(a => Store.RecordDeliveryAsync(a.Delivery, [a.Run], CancellationToken.None)));
        Assert.Single(results, r => r.Recorded);
        var winner = Assert.Single(results.Single(r => r.Recorded).RunIds);
        Assert.All(results, r => Assert.Equal([winner], r.RunIds));
        var created = 0;
        foreach (var (_, run) in attempts) created += await Store.GetRunAsync(run.Run.Id, CancellationToken.None) is null ? 0 : 1;
        Assert.Equal(1, created);
    }

    [Fact]
    public async Task An_ignored_delivery_is_recorded_without_runs()
    {
        var (delivery, _) = DeliveryWithRun("ping-1", "unused");
        var recorded = await Store.RecordDeliveryAsync(delivery with { Outcome = "ignored: ping" }, [], CancellationToken.None);
        Assert.True(recorded.Recorded);
        Assert.Empty(recorded.RunIds);
        Assert.False((await Store.RecordDeliveryAsync(delivery, [], CancellationToken.None)).Recorded);
    }
}
