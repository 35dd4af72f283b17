using System.Collections.Concurrent;
using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

public abstract partial class RunStoreConformance
{
    [Fact]
    public async Task Claims_grant_the_oldest_pending_task_first_each_once()
    {
        var first = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var second = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var third = await CreateRunAsync();

        var leases = new[] { await ClaimAsync(), await ClaimAsync(), await ClaimAsync() };

        Assert.Equal([first.Id, second.Id, third.Id], leases.Select(l => l!.RunId));
        Assert.All(leases, l => Assert.Equal((1L, 1), (l!.Epoch, l.Attempt)));
        Assert.Equal(Time.GetUtcNow() + LeaseTtl, leases[0]!.ExpiresAt);
        Assert.Null(await ClaimAsync());
        var task = await TaskOfAsync(first.Id);
        Assert.Equal((TaskState.Leased, "agent-a"), (task.State, task.AgentId));
    }

    [Fact]
    public async Task Claims_match_requirements_against_the_agent_labels()
    {
        var gpu = await CreateRunAsync(
            new TaskSpec
            {
                Command = ["x"],
                Requirements = new Dictionary<string, string> { ["pool"] = "gpu", ["arch"] = "arm64" },
            }
        );
        Advance(TimeSpan.FromSeconds(1));
        var plain = await CreateRunAsync();

        var cpuAgent = await ClaimAsync("cpu", new Dictionary<string, string> { ["pool"] = "cpu", ["arch"] = "arm64" });
        var halfMatch = await ClaimAsync("half", new Dictionary<string, string> { ["pool"] = "gpu" });
        var gpuAgent = await ClaimAsync(
            "gpu",
            new Dictionary<string, string>
            {
                ["pool"] = "gpu",
                ["arch"] = "arm64",
                ["zone"] = "a",
            }
        );

        Assert.Equal(plain.Id, cpuAgent!.RunId);
        Assert.Null(halfMatch);
        Assert.Equal(gpu.Id, gpuAgent!.RunId);
    }

    [Fact]
    public async Task A_claim_finds_the_one_task_it_can_run_behind_hundreds_it_cannot()
    {
        var gpuOnly = new TaskSpec
        {
            Command = ["x"],
            Requirements = new Dictionary<string, string> { ["pool"] = "gpu" },
        };
        for (var i = 0; i < 150; i++)
        {
            await CreateRunAsync(gpuOnly);
            Advance(TimeSpan.FromMilliseconds(1));
        }
        var plain = await CreateRunAsync();

        var lease = await ClaimAsync("cpu", new Dictionary<string, string> { ["pool"] = "cpu" });

        Assert.Equal(plain.Id, lease!.RunId);
        Assert.Null(await ClaimAsync("cpu", new Dictionary<string, string> { ["pool"] = "cpu" }));
    }

    [Fact]
    public async Task Every_write_with_a_stale_epoch_is_refused()
    {
        var run = await CreateRunAsync(maxAttempts: 2);
        var old = (await ClaimAsync("old"))!;
        await RunningAsync(old);
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        await RescueAsync();
        var current = (await ClaimAsync("new"))!;

        Assert.Equal(old.Epoch + 1, current.Epoch);
        Assert.Equal(
            WriteStatus.Stale,
            (
                await Store.HeartbeatAsync(old.TaskId, old.Epoch, Time.GetUtcNow(), LeaseTtl, CancellationToken.None)
            ).Status
        );
        Assert.Equal(
            WriteStatus.Stale,
            (await Store.AppendLogsAsync(old.TaskId, old.Epoch, 0, Lines("late"), CancellationToken.None)).Status
        );
        Assert.Equal(WriteStatus.Stale, (await RunningAsync(old)).Status);
        Assert.Equal(WriteStatus.Stale, (await CompleteAsync(old, 0)).Status);
        Assert.Equal(
            WriteStatus.Stale,
            (await Store.ReleaseAsync(old.TaskId, old.Epoch, CancellationToken.None)).Status
        );
        Assert.Equal(
            WriteStatus.NotFound,
            (await Store.HeartbeatAsync("missing", 1, Time.GetUtcNow(), LeaseTtl, CancellationToken.None)).Status
        );

        Assert.Equal(WriteStatus.Accepted, (await RunningAsync(current)).Status);
        Assert.Equal(WriteStatus.Accepted, (await CompleteAsync(current, 0)).Status);
        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.Succeeded, ended.State);
        Assert.DoesNotContain(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None), l => l.Text == "late");
    }

    [Fact]
    public async Task A_released_task_is_claimable_again_without_counting_an_attempt()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;

        Assert.Equal(
            WriteStatus.Accepted,
            (await Store.ReleaseAsync(lease.TaskId, lease.Epoch, CancellationToken.None)).Status
        );
        var again = (await ClaimAsync("other"))!;

        Assert.Equal((run.Id, 1, lease.Epoch + 1), (again.RunId, again.Attempt, again.Epoch));
    }

    [Fact]
    public async Task Log_chunks_are_appended_once_and_a_gap_is_refused_with_the_expected_offset()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);

        var first = await Store.AppendLogsAsync(
            lease.TaskId,
            lease.Epoch,
            0,
            Lines("a", "b", "c"),
            CancellationToken.None
        );
        var retried = await Store.AppendLogsAsync(
            lease.TaskId,
            lease.Epoch,
            0,
            Lines("a", "b", "c"),
            CancellationToken.None
        );
        var overlapping = await Store.AppendLogsAsync(
            lease.TaskId,
            lease.Epoch,
            2,
            Lines("c", "d", "e"),
            CancellationToken.None
        );
        var gap = await Store.AppendLogsAsync(lease.TaskId, lease.Epoch, 7, Lines("h"), CancellationToken.None);

        Assert.Equal((WriteStatus.Accepted, 3L, false), (first.Status, first.NextOffset, first.Gap));
        Assert.Equal((WriteStatus.Accepted, 3L, false), (retried.Status, retried.NextOffset, retried.Gap));
        Assert.Equal(5L, overlapping.NextOffset);
        Assert.Equal((WriteStatus.Accepted, 5L, true), (gap.Status, gap.NextOffset, gap.Gap));
        var lines = await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None);
        Assert.Equal(["a", "b", "c", "d", "e"], lines.Select(l => l.Text));
        Assert.Equal([0L, 1, 2, 3, 4], lines.Select(l => l.Seq));
        Assert.Equal(["c", "d"], (await Store.ReadLogsAsync(run.Id, 2, 2, CancellationToken.None)).Select(l => l.Text));
        Assert.Equal(5, (await GetAsync(run.Id)).LogLines);
    }

    [Fact]
    public async Task A_heartbeat_extends_the_lease_so_rescue_leaves_the_task_alone()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        Advance(LeaseTtl - TimeSpan.FromSeconds(1));
        var beat = await Store.HeartbeatAsync(
            lease.TaskId,
            lease.Epoch,
            Time.GetUtcNow(),
            LeaseTtl,
            CancellationToken.None
        );
        Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromSeconds(2) + LeaseTtl, beat.ExpiresAt);
        Assert.Empty(await RescueAsync());
        Assert.Equal(TaskState.Leased, (await TaskOfAsync(run.Id)).State);
    }

    [Fact]
    public async Task Rescue_requeues_a_lost_task_then_fails_the_run_listing_every_attempt()
    {
        var run = await CreateRunAsync(maxAttempts: 2);
        var first = (await ClaimAsync("agent-1"))!;
        await RunningAsync(first);
        Advance(LeaseTtl);
        Assert.Empty(await RescueAsync());
        Advance(TimeSpan.FromMilliseconds(1));

        var rescued = await RescueAsync();
        var requeued = await GetAsync(run.Id);
        var again = await RescueAsync();

        Assert.Equal([run.Id], rescued);
        Assert.Empty(again);
        Assert.Equal(RunState.Starting, requeued.State);
        var task = requeued.Tasks.Single();
        Assert.Equal((TaskState.Pending, 2, null), (task.State, task.Attempt, task.AgentId));
        var lost = Assert.Single(task.History);
        Assert.Equal((1, "agent-1"), (lost.Attempt, lost.AgentId));
        Assert.Contains("agent lost", lost.Reason);

        var second = (await ClaimAsync("agent-2"))!;
        Assert.Equal(2, second.Attempt);
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        await RescueAsync();
        var failed = await GetAsync(run.Id);
        var afterFailure = await RescueAsync();

        Assert.Equal(RunState.Failed, failed.State);
        Assert.StartsWith("agent lost after 2 attempt(s)", failed.Reason);
        Assert.Contains("attempt 1 on agent agent-1", failed.Reason);
        Assert.Contains("attempt 2 on agent agent-2", failed.Reason);
        Assert.Equal([1, 2], failed.Tasks.Single().History.Select(h => h.Attempt));
        Assert.Empty(afterFailure);
        Assert.Equal(failed, await GetAsync(run.Id), RunComparer.Instance);
        Assert.Contains(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None), l =>
            l.Text.Contains("queued as attempt 2 of 2")
        );
    }

    [Fact]
    public async Task Rescue_of_a_task_asked_to_stop_ends_it_instead_of_requeueing()
    {
        var run = await CreateRunAsync(maxAttempts: 3);
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);
        await Store.RequestStopAsync(run.Id, StopReason.Killed, Time.GetUtcNow(), CancellationToken.None);
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));

        await RescueAsync();

        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.Stopped, ended.State);
        Assert.Contains("agent lost before it confirmed", ended.Reason);
    }

    [Fact]
    public async Task Rescue_works_a_bounded_page_at_a_time()
    {
        for (var i = 0; i < 5; i++)
            await CreateRunAsync(maxAttempts: 2);
        for (var i = 0; i < 5; i++)
            await ClaimAsync($"agent-{i}");
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));

        var pages = new List<int>();
        for (var i = 0; i < 4; i++)
            pages.Add((await RescueAsync(limit: 2)).Count);

        Assert.Equal([2, 2, 1, 0], pages);
        var leases = new List<Lease>();
        while (await ClaimAsync() is { } lease)
            leases.Add(lease);
        Assert.Equal(5, leases.Count);
        Assert.All(leases, l => Assert.Equal(2, l.Attempt));
    }

    [Fact]
    public async Task Concurrent_claimers_never_get_the_same_task_twice()
    {
        const int tasks = 200;
        for (var i = 0; i < tasks; i += 20)
            await CreateRunAsync(tasks: 20);
        var granted = new ConcurrentBag<Lease>();

        var claimers = Enumerable
            .Range(0, 8)
            .Select(c =>
                Task.Run(async () =>
                {
                    while (
                        await Store.ClaimAsync(
                            new ClaimRequest(
                                $"agent-{c}",
                                new Dictionary<string, string>(),
                                Time.GetUtcNow(),
                                LeaseTtl
                            ),
                            CancellationToken.None
                        )
                            is { } lease
                    )
                        granted.Add(lease);
                })
            );
        await Task.WhenAll(claimers);

        Assert.Equal(tasks, granted.Count);
        Assert.Equal(tasks, granted.Select(l => l.TaskId).Distinct().Count());
        Assert.All(granted, l => Assert.Equal(1, l.Epoch));
    }
}
