using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>
/// Webhook deliveries: recorded with their runs in one transaction, once per (repository, delivery id).
/// </summary>
public abstract partial class RunStoreConformance
{
    private (WebhookDelivery Delivery, DeliveryRun Run) DeliveryWithRun(string deliveryId, string runId)
    {
        var spec = new TaskSpec { Command = ["true"] };
        var run = new Run
        {
            Id = runId,
            Kind = "workflow",
            State = RunState.Starting,
            CreatedAt = Time.GetUtcNow(),
            Spec = spec,
            CreatedBy = "repository:app",
        };
        var delivery = new WebhookDelivery(
            "app",
            deliveryId,
            "github",
            "push",
            Time.GetUtcNow(),
            "{}",
            "{}",
            "started ci.kdl"
        );
        return (
            delivery,
            new DeliveryRun(
                run,
                [new NewTask(runId + "-1", "0", spec, 1)],
                new IdempotencyKey($"delivery:{deliveryId}:ci.kdl", "ci.kdl")
            )
        );
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
        var results = await Task.WhenAll(
            attempts.Select(a => Store.RecordDeliveryAsync(a.Delivery, [a.Run], CancellationToken.None))
        );
        Assert.Single(results, r => r.Recorded);
        var winner = Assert.Single(results.Single(r => r.Recorded).RunIds);
        Assert.All(results, r => Assert.Equal([winner], r.RunIds));
        var created = 0;
        foreach (var (_, run) in attempts)
            created += await Store.GetRunAsync(run.Run.Id, CancellationToken.None) is null ? 0 : 1;
        Assert.Equal(1, created);
    }

    [Fact]
    public async Task An_ignored_delivery_is_recorded_without_runs()
    {
        var (delivery, _) = DeliveryWithRun("ping-1", "unused");
        var recorded = await Store.RecordDeliveryAsync(
            delivery with
            {
                Outcome = "ignored: ping",
            },
            [],
            CancellationToken.None
        );
        Assert.True(recorded.Recorded);
        Assert.Empty(recorded.RunIds);
        Assert.False((await Store.RecordDeliveryAsync(delivery, [], CancellationToken.None)).Recorded);
    }

    [Fact]
    public async Task A_batch_commits_its_deliveries_in_order_and_a_repeat_inside_it_creates_no_second_run()
    {
        var (a, runA) = DeliveryWithRun("batch-a", "run-batch-a");
        var (b, runB) = DeliveryWithRun("batch-b", "run-batch-b");
        var (again, runAgain) = DeliveryWithRun("batch-a", "run-batch-a2");
        var results = await Store.RecordDeliveriesAsync(
            [new DeliveryWrite(a, [runA]), new DeliveryWrite(b, [runB]), new DeliveryWrite(again, [runAgain])],
            CancellationToken.None
        );

        Assert.Equal(3, results.Count);
        Assert.True(results[0]!.Recorded);
        Assert.True(results[1]!.Recorded);
        Assert.False(results[2]!.Recorded);
        Assert.Equal(["run-batch-a"], results[2]!.RunIds);
        Assert.Null(await Store.GetRunAsync("run-batch-a2", CancellationToken.None));
        Assert.Equal(TaskState.Pending, (await TaskOfAsync("run-batch-b")).State);
        Assert.Equal(
            ["run-batch-a"],
            (await Store.FindDeliveryAsync("app", "batch-a", CancellationToken.None))!.RunIds
        );
    }

    [Fact]
    public async Task A_delivery_prepared_before_it_queued_is_written_as_one_that_was_not()
    {
        var (a, runA) = DeliveryWithRun("prepared", "run-prepared");
        var (b, runB) = DeliveryWithRun("unprepared", "run-unprepared");
        var (again, runAgain) = DeliveryWithRun("prepared", "run-prepared-2");
        Store.PrepareDelivery(new DeliveryWrite(a, [runA]));
        Store.PrepareDelivery(new DeliveryWrite(again, [runAgain]));
        var results = await Store.RecordDeliveriesAsync(
            [new DeliveryWrite(a, [runA]), new DeliveryWrite(b, [runB]), new DeliveryWrite(again, [runAgain])],
            CancellationToken.None
        );

        Assert.Equal([true, true, false], results.Select(r => r!.Recorded));
        Assert.Equal(["run-prepared"], results[2]!.RunIds);
        Assert.Null(await Store.GetRunAsync("run-prepared-2", CancellationToken.None));
        var prepared = (await Store.GetRunAsync("run-prepared", CancellationToken.None))!;
        var unprepared = (await Store.GetRunAsync("run-unprepared", CancellationToken.None))!;
        Assert.Equal(
            (unprepared.Kind, unprepared.State, unprepared.CreatedBy, string.Join(' ', unprepared.Spec.Command)),
            (prepared.Kind, prepared.State, prepared.CreatedBy, string.Join(' ', prepared.Spec.Command))
        );
        Assert.Equal(TaskState.Pending, (await TaskOfAsync("run-prepared")).State);
        Assert.Equal(TaskState.Pending, (await TaskOfAsync("run-unprepared")).State);
    }

    [Fact]
    public async Task A_delivery_that_fails_inside_a_batch_is_rolled_back_alone()
    {
        var taken = await CreateRunAsync();
        var (first, runFirst) = DeliveryWithRun("ok-1", "run-ok-1");
        var (bad, fresh) = DeliveryWithRun("bad", "run-bad-fresh");
        var (_, clash) = DeliveryWithRun("bad", taken.Id); // its run's id is taken: the insert breaks the primary key
        var (last, runLast) = DeliveryWithRun("ok-2", "run-ok-2");
        var results = await Store.RecordDeliveriesAsync(
            [
                new DeliveryWrite(first, [runFirst]),
                new DeliveryWrite(bad, [fresh, clash with { Key = new IdempotencyKey("other", "x") }]),
                new DeliveryWrite(last, [runLast]),
            ],
            CancellationToken.None
        );

        Assert.True(results[0]!.Recorded);
        Assert.Null(results[1]);
        Assert.True(results[2]!.Recorded);
        Assert.Null(await Store.FindDeliveryAsync("app", "bad", CancellationToken.None));
        Assert.Null(await Store.GetRunAsync("run-bad-fresh", CancellationToken.None));
        Assert.NotNull(await Store.GetRunAsync("run-ok-1", CancellationToken.None));
        Assert.NotNull(await Store.GetRunAsync("run-ok-2", CancellationToken.None));
        Assert.Equal("tester", (await GetAsync(taken.Id)).CreatedBy);
    }

    [Fact]
    public async Task A_large_batch_writes_every_run_with_its_tasks_in_order_and_keeps_a_run_whose_key_was_used()
    {
        // More rows than one multi-row statement takes, tasks in two states, and a key an earlier request used.
        var spec = new TaskSpec { Command = ["true"] };
        var earlier = new Run
        {
            Id = "run-keyed-first",
            Kind = "workflow",
            State = RunState.Starting,
            CreatedAt = Time.GetUtcNow(),
            Spec = spec,
            CreatedBy = "repository:app",
        };
        await Store.CreateRunAsync(
            earlier,
            [new NewTask("run-keyed-first-1", "0", spec, 1)],
            new IdempotencyKey("delivery:keyed:ci.kdl", "ci.kdl"),
            CancellationToken.None
        );
        var writes = Enumerable
            .Range(0, 130)
            .Select(i =>
            {
                var (delivery, run) = DeliveryWithRun($"many-{i}", $"run-many-{i:D3}");
                return new DeliveryWrite(
                    delivery,
                    [
                        run with
                        {
                            Tasks =
                            [
                                .. run.Tasks,
                                new NewTask($"run-many-{i:D3}-2", "1", spec, 3, TaskState.Waiting, "after 0"),
                            ],
                        },
                    ]
                );
            })
            .ToList();
        var (keyed, keyedRun) = DeliveryWithRun("keyed", "run-keyed-second");
        writes.Add(new DeliveryWrite(keyed, [keyedRun]));

        var results = await Store.RecordDeliveriesAsync(writes, CancellationToken.None);

        Assert.All(results, r => Assert.True(r!.Recorded));
        Assert.Equal(["run-many-129"], results[129]!.RunIds);
        Assert.Equal(["run-keyed-first"], results[130]!.RunIds);
        Assert.Null(await Store.GetRunAsync("run-keyed-second", CancellationToken.None));
        var last = await GetAsync("run-many-129");
        Assert.Equal("repository:app", last.CreatedBy);
        Assert.Equal(["0", "1"], last.Tasks.Select(t => t.Name));
        Assert.Equal([TaskState.Pending, TaskState.Waiting], last.Tasks.Select(t => t.State));
        Assert.Equal([1, 3], last.Tasks.Select(t => t.MaxAttempts));
        Assert.Equal("after 0", last.Tasks[1].Reason);
        Assert.Equal(
            ["run-many-000"],
            (await Store.FindDeliveryAsync("app", "many-0", CancellationToken.None))!.RunIds
        );
        Assert.Equal(
            ["run-keyed-first"],
            (await Store.FindDeliveryAsync("app", "keyed", CancellationToken.None))!.RunIds
        );
        var repeat = (await Store.RecordDeliveriesAsync([writes[7]], CancellationToken.None)).Single()!;
        Assert.False(repeat.Recorded);
        Assert.Equal(["run-many-007"], repeat.RunIds);
    }
}
