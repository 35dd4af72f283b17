using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>A short task's whole report in its result: start time and last lines, applied in one transaction.</summary>
public abstract partial class RunStoreConformance
{
    [Fact]
    public async Task A_result_with_a_start_time_and_lines_ends_a_task_never_reported_running()
    {
        var run = await CreateRunAsync(new TaskSpec { Command = ["echo"], Timeout = TimeSpan.FromMinutes(1) });
        var lease = (await ClaimAsync())!;
        var startedAt = Time.GetUtcNow() + TimeSpan.FromMilliseconds(20);
        Advance(TimeSpan.FromMilliseconds(50));

        var result = await Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(0), startedAt, 0, Lines("hello", "world")),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal((WriteStatus.Accepted, (long?)null), (result.Status, result.LogGapAt));
        var ended = await GetAsync(run.Id);
        Assert.Equal((RunState.Succeeded, 0), (ended.State, ended.ExitCode));
        Assert.Equal(startedAt, ended.StartedAt);
        Assert.Equal(startedAt, ended.Tasks.Single().StartedAt);
        Assert.Equal(TaskState.Succeeded, ended.Tasks.Single().State);
        var lines = await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None);
        Assert.Equal(["hello", "world"], lines.Select(l => l.Text));
        Assert.Equal([0L, 1], lines.Select(l => l.Seq));
    }

    [Fact]
    public async Task A_result_carrying_lines_already_shipped_stores_only_the_new_ones()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);
        await Store.AppendLogsAsync(lease.TaskId, lease.Epoch, 0, Lines("a", "b"), CancellationToken.None);

        var result = await Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(3), Time.GetUtcNow(), 1, Lines("b", "c")),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal(WriteStatus.Accepted, result.Status);
        Assert.Equal(
            ["a", "b", "c"],
            (await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None)).Select(l => l.Text)
        );
        Assert.Equal((RunState.Failed, 3), ((await GetAsync(run.Id)).State, (await GetAsync(run.Id)).ExitCode));
    }

    [Fact]
    public async Task A_result_whose_lines_leave_a_gap_writes_nothing_and_says_where_to_start()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;

        var result = await Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(0), Time.GetUtcNow(), 4, Lines("e")),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal(0L, result.LogGapAt);
        var unchanged = await GetAsync(run.Id);
        Assert.Equal((RunState.Starting, TaskState.Leased), (unchanged.State, unchanged.Tasks.Single().State));
        Assert.Empty(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None));
    }

    [Fact]
    public async Task A_folded_result_with_a_stale_epoch_is_refused_and_writes_nothing()
    {
        var run = await CreateRunAsync(maxAttempts: 2);
        var old = (await ClaimAsync("old"))!;
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        await RescueAsync();
        var current = (await ClaimAsync("new"))!;

        var late = await Store.CompleteAsync(
            old.TaskId,
            old.Epoch,
            new Completion(new TaskResult(0), Time.GetUtcNow(), 0, Lines("late")),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal(WriteStatus.Stale, late.Status);
        var task = (await GetAsync(run.Id)).Tasks.Single();
        Assert.Equal(
            (TaskState.Leased, current.Epoch, (DateTimeOffset?)null),
            (task.State, current.Epoch, task.StartedAt)
        );
        Assert.DoesNotContain(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None), l => l.Text == "late");
    }

    [Fact]
    public async Task A_failed_folded_result_with_attempts_left_requeues_the_task_and_its_run_starts_again()
    {
        var run = await CreateRunAsync(
            new TaskSpec
            {
                Command = ["false"],
                Retry = new RetryPolicy { MaxAttempts = 2, ExitCodes = [1] },
            },
            maxAttempts: 2
        );
        var lease = (await ClaimAsync())!;

        var result = await Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(1), Time.GetUtcNow(), 0, Lines("boom")),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal(WriteStatus.Accepted, result.Status);
        var requeued = await GetAsync(run.Id);
        Assert.Equal(
            (RunState.Starting, TaskState.Pending, 2),
            (requeued.State, requeued.Tasks.Single().State, requeued.Tasks.Single().Attempt)
        );
        Assert.Equal("boom", (await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None))[0].Text);
    }

    [Fact]
    public async Task A_result_asking_for_the_next_task_ends_one_and_leases_the_oldest_waiting_in_one_call()
    {
        var first = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var second = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var third = await CreateRunAsync();
        var lease = (await ClaimAsync())!;

        var (written, next) = await Store.CompleteAndClaimAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(0), Time.GetUtcNow()),
            Time.GetUtcNow(),
            NextClaim("agent-b"),
            CancellationToken.None
        );

        Assert.Equal(WriteStatus.Accepted, written.Status);
        Assert.Equal(RunState.Succeeded, (await GetAsync(first.Id)).State);
        Assert.Equal((second.Id, 1L, 1), (next!.RunId, next.Epoch, next.Attempt));
        Assert.Equal(Time.GetUtcNow() + LeaseTtl, next.ExpiresAt);
        Assert.Equal(
            (TaskState.Leased, "agent-b"),
            ((await TaskOfAsync(second.Id)).State, (await TaskOfAsync(second.Id)).AgentId)
        );
        Assert.Equal(TaskState.Pending, (await TaskOfAsync(third.Id)).State);
    }

    [Fact]
    public async Task A_result_asking_for_the_next_task_gets_none_when_none_waits_for_that_agent()
    {
        var run = await CreateRunAsync();
        var gpu = await CreateRunAsync(
            new TaskSpec
            {
                Command = ["x"],
                Requirements = new Dictionary<string, string> { ["pool"] = "gpu" },
            }
        );
        var lease = (await ClaimAsync())!;

        var (written, next) = await Store.CompleteAndClaimAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(1)),
            Time.GetUtcNow(),
            NextClaim("agent-a"),
            CancellationToken.None
        );

        Assert.Equal(WriteStatus.Accepted, written.Status);
        Assert.Null(next);
        Assert.Equal(RunState.Failed, (await GetAsync(run.Id)).State);
        Assert.Equal(TaskState.Pending, (await TaskOfAsync(gpu.Id)).State);
    }

    [Fact]
    public async Task A_stale_or_gapped_result_asking_for_the_next_task_writes_nothing_and_leases_nothing()
    {
        var run = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var waiting = await CreateRunAsync();
        var lease = (await ClaimAsync())!;

        var (stale, afterStale) = await Store.CompleteAndClaimAsync(
            lease.TaskId,
            lease.Epoch + 1,
            new Completion(new TaskResult(0)),
            Time.GetUtcNow(),
            NextClaim("agent-a"),
            CancellationToken.None
        );
        var (gapped, afterGap) = await Store.CompleteAndClaimAsync(
            lease.TaskId,
            lease.Epoch,
            new Completion(new TaskResult(0), Time.GetUtcNow(), 3, Lines("x")),
            Time.GetUtcNow(),
            NextClaim("agent-a"),
            CancellationToken.None
        );

        Assert.Equal((WriteStatus.Stale, (Lease?)null), (stale.Status, afterStale));
        Assert.Equal((0L, (Lease?)null), (gapped.LogGapAt, afterGap));
        Assert.Equal(TaskState.Leased, (await TaskOfAsync(run.Id)).State);
        Assert.Equal(TaskState.Pending, (await TaskOfAsync(waiting.Id)).State);
    }

    private ClaimRequest NextClaim(string agent) =>
        new(agent, new Dictionary<string, string>(), Time.GetUtcNow(), LeaseTtl);
}
