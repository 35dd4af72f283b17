using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>
/// Idempotency keys, what placement reads and writes, a task's kept secret values and its timings, on every store.
/// </summary>
public abstract partial class RunStoreConformance
{
    private Run KeyedRun(string id, string? createdBy = "tester") =>
        new()
        {
            Id = id,
            Kind = "command",
            State = RunState.Starting,
            CreatedAt = Time.GetUtcNow(),
            Spec = new TaskSpec { Command = ["true"] },
            CreatedBy = createdBy,
        };

    private static IReadOnlyList<NewTask> OneTask(string runId) =>
        [new NewTask($"{runId}-1", "main", new TaskSpec { Command = ["true"] }, 1)];

    [Fact]
    public async Task A_key_names_the_run_it_created_first_per_user_and_tells_another_request_apart()
    {
        var key = new IdempotencyKey("deploy-1", "hash-a");
        var first = await Store.CreateRunAsync(KeyedRun("keyed1"), OneTask("keyed1"), key, CancellationToken.None);
        var again = await Store.CreateRunAsync(KeyedRun("keyed2"), OneTask("keyed2"), key, CancellationToken.None);
        var other = await Store.CreateRunAsync(
            KeyedRun("keyed3"),
            OneTask("keyed3"),
            key with
            {
                RequestHash = "hash-b",
            },
            CancellationToken.None
        );
        var otherUser = await Store.CreateRunAsync(
            KeyedRun("keyed4", "someone"),
            OneTask("keyed4"),
            key,
            CancellationToken.None
        );
        var noUser = await Store.CreateRunAsync(
            KeyedRun("keyed5", null),
            OneTask("keyed5"),
            key,
            CancellationToken.None
        );
        var noUserAgain = await Store.CreateRunAsync(
            KeyedRun("keyed6", null),
            OneTask("keyed6"),
            key,
            CancellationToken.None
        );

        Assert.Equal(new CreatedRun("keyed1", true), first);
        Assert.Equal(new CreatedRun("keyed1", false, true), again);
        Assert.Equal(new CreatedRun("keyed1", false, false), other);
        Assert.Equal(new CreatedRun("keyed4", true), otherUser);
        Assert.Equal((true, "keyed5", false), (noUser.Created, noUserAgain.RunId, noUserAgain.Created));
        Assert.Null(await Store.GetRunAsync("keyed2", CancellationToken.None));
        Assert.Null(await Store.GetRunAsync("keyed3", CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_creates_with_one_key_store_one_run()
    {
        var key = new IdempotencyKey("burst", "h");
        var results = await Task.WhenAll(
            Enumerable
                .Range(0, 8)
                .Select(i =>
                    Store.CreateRunAsync(KeyedRun($"burst{i}"), OneTask($"burst{i}"), key, CancellationToken.None)
                )
        );

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.RunId).Distinct());
        Assert.Single(await Store.ListRunsAsync(new RunQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task A_pending_task_is_failed_with_its_reason_and_a_leased_one_is_left_alone()
    {
        var pending = await CreateRunAsync(
            new TaskSpec
            {
                Command = ["true"],
                Requirements = new Dictionary<string, string> { ["driver.process"] = "true" },
            }
        );
        var taken = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        Assert.Equal(taken.Id, lease.RunId);

        var listed = await Store.ListPendingTasksAsync(Time.GetUtcNow(), 10, CancellationToken.None);
        Assert.Equal([$"{pending.Id}-1"], listed.Select(t => t.Id));
        Assert.Equal("true", listed[0].Spec.Requirements["driver.process"]);
        Assert.Equal(
            new Dictionary<string, int> { ["agent-a"] = 1 },
            await Store.CountLeasedTasksAsync(CancellationToken.None)
        );

        Assert.True(
            await Store.FailPendingAsync(
                $"{pending.Id}-1",
                "no agent could take it",
                Time.GetUtcNow(),
                CancellationToken.None
            )
        );
        Assert.False(
            await Store.FailPendingAsync(
                lease.TaskId,
                "no agent could take it",
                Time.GetUtcNow(),
                CancellationToken.None
            )
        );
        Assert.False(
            await Store.FailPendingAsync($"{pending.Id}-1", "again", Time.GetUtcNow(), CancellationToken.None)
        );

        var failed = await GetAsync(pending.Id);
        Assert.Equal(
            (RunState.Failed, "no agent could take it", TaskState.Failed),
            (failed.State, failed.Reason, failed.Tasks[0].State)
        );
        Assert.Equal(
            ["hearth: no agent could take it"],
            (await Store.ReadLogsAsync(pending.Id, 0, 10, CancellationToken.None)).Select(l => l.Text)
        );
        Assert.Equal(TaskState.Leased, (await TaskOfAsync(taken.Id)).State);
    }

    [Fact]
    public async Task A_tasks_secret_mask_is_written_under_its_current_epoch_only()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;

        Assert.Equal(
            WriteStatus.Stale,
            (await Store.SetSecretMaskAsync(lease.TaskId, lease.Epoch - 1, "old", CancellationToken.None)).Status
        );
        Assert.Equal(
            WriteStatus.NotFound,
            (await Store.SetSecretMaskAsync("nope", 1, "x", CancellationToken.None)).Status
        );
        Assert.Equal(
            WriteStatus.Accepted,
            (await Store.SetSecretMaskAsync(lease.TaskId, lease.Epoch, "k1:abc", CancellationToken.None)).Status
        );

        Assert.Equal("k1:abc", await Store.GetSecretMaskAsync(lease.TaskId, CancellationToken.None));
        Assert.Null(await Store.GetSecretMaskAsync("nope", CancellationToken.None));
        Assert.Equal(run.Id, lease.RunId);
    }

    [Fact]
    public async Task An_attempt_keeps_its_lease_time_and_the_timings_its_result_reports()
    {
        var run = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var lease = (await ClaimAsync())!;
        var leasedAt = Time.GetUtcNow();
        Advance(TimeSpan.FromSeconds(1));
        var completion = new Completion(new TaskResult(0), StartedAt: leasedAt.AddMilliseconds(100))
        {
            FirstOutputAt = leasedAt.AddMilliseconds(150),
            ExitedAt = leasedAt.AddMilliseconds(900),
        };
        Assert.Equal(
            WriteStatus.Accepted,
            (
                await Store.CompleteAsync(
                    lease.TaskId,
                    lease.Epoch,
                    completion,
                    Time.GetUtcNow(),
                    CancellationToken.None
                )
            ).Status
        );

        var task = await TaskOfAsync(run.Id);
        Assert.Equal(
            (
                run.CreatedAt,
                leasedAt,
                leasedAt.AddMilliseconds(100),
                leasedAt.AddMilliseconds(150),
                leasedAt.AddMilliseconds(900),
                Time.GetUtcNow()
            ),
            (task.QueuedAt, task.LeasedAt, task.StartedAt, task.FirstOutputAt, task.ExitedAt, task.EndedAt)
        );
    }
}
