using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

public abstract partial class RunStoreConformance
{
    private static TaskSpec Retrying(RetryPolicy policy) => new() { Command = ["flaky"], Retry = policy };

    [Fact]
    public async Task A_listed_exit_code_is_retried_after_its_back_off_then_fails_with_every_attempt()
    {
        var run = await CreateRunAsync(
            Retrying(
                new RetryPolicy
                {
                    MaxAttempts = 3,
                    ExitCodes = [3],
                    Backoff = RetryBackoff.Exponential,
                    Delay = TimeSpan.FromSeconds(10),
                }
            )
        );

        var first = (await ClaimAsync("agent-1"))!;
        await RunningAsync(first);
        await CompleteAsync(first, 3);
        var waiting = await GetAsync(run.Id);
        var tooEarly = await ClaimAsync();
        Advance(TimeSpan.FromSeconds(9.999));
        var stillEarly = await ClaimAsync();
        Advance(TimeSpan.FromMilliseconds(1));
        var second = (await ClaimAsync("agent-2"))!;
        await RunningAsync(second);
        await CompleteAsync(second, 3);
        Advance(TimeSpan.FromSeconds(19));
        var beforeSecondBackOff = await ClaimAsync();
        Advance(TimeSpan.FromSeconds(1));
        var third = (await ClaimAsync("agent-3"))!;
        await RunningAsync(third);
        await CompleteAsync(third, 3);
        var failed = await GetAsync(run.Id);

        Assert.Equal(RunState.Starting, waiting.State);
        var task = waiting.Tasks.Single();
        Assert.Equal((TaskState.Pending, 2), (task.State, task.Attempt));
        Assert.Equal("exit code 3", Assert.Single(task.History).Reason);
        Assert.Null(tooEarly);
        Assert.Null(stillEarly);
        Assert.Equal((2, first.Epoch + 1), (second.Attempt, second.Epoch));
        Assert.Null(beforeSecondBackOff);
        Assert.Equal(3, third.Attempt);
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal(3, failed.ExitCode);
        Assert.StartsWith("exit code 3 after 3 attempts", failed.Reason);
        Assert.Equal(
            [(1, "agent-1"), (2, "agent-2"), (3, "agent-3")],
            failed.Tasks.Single().History.Select(h => (h.Attempt, h.AgentId))
        );
        Assert.Contains(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None), l =>
            l.Text.Contains("retrying as attempt 2 of 3 in 10s")
        );
    }

    [Fact]
    public async Task An_exit_code_the_policy_does_not_list_fails_at_once()
    {
        var run = await CreateRunAsync(Retrying(new RetryPolicy { MaxAttempts = 3, ExitCodes = [3] }));
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);

        await CompleteAsync(lease, 4);

        var ended = await GetAsync(run.Id);
        Assert.Equal((RunState.Failed, "exit code 4"), (ended.State, ended.Reason));
        Assert.Single(ended.Tasks.Single().History);
    }

    [Fact]
    public async Task A_sandbox_that_failed_to_start_is_retried_when_the_policy_says_so()
    {
        var run = await CreateRunAsync(Retrying(new RetryPolicy { MaxAttempts = 2, SandboxStartFailed = true }));
        var lease = (await ClaimAsync())!;

        await Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new TaskResult(null, Error: "image not found"),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var retry = (await ClaimAsync())!;
        await Store.CompleteAsync(
            retry.TaskId,
            retry.Epoch,
            new TaskResult(null, Error: "image not found"),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Assert.Equal(2, retry.Attempt);
        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.Failed, ended.State);
        Assert.StartsWith("image not found after 2 attempts", ended.Reason);
    }

    [Fact]
    public async Task A_policy_that_does_not_retry_lost_agents_fails_the_run_on_the_first_loss()
    {
        var run = await CreateRunAsync(
            Retrying(
                new RetryPolicy
                {
                    MaxAttempts = 3,
                    AgentLost = false,
                    ExitCodes = [1],
                }
            )
        );
        await ClaimAsync();
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));

        await RescueAsync();

        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.Failed, ended.State);
        Assert.StartsWith("agent lost after 1 attempt(s)", ended.Reason);
    }

    [Fact]
    public async Task A_lost_agent_is_retried_after_the_policy_back_off()
    {
        var run = await CreateRunAsync(
            Retrying(
                new RetryPolicy
                {
                    MaxAttempts = 2,
                    Backoff = RetryBackoff.Constant,
                    Delay = TimeSpan.FromSeconds(30),
                }
            )
        );
        await ClaimAsync();
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        await RescueAsync();

        var early = await ClaimAsync();
        Advance(TimeSpan.FromSeconds(30));
        var later = await ClaimAsync();

        Assert.Null(early);
        Assert.Equal((run.Id, 2), (later!.RunId, later.Attempt));
    }

    [Fact]
    public async Task A_retry_waiting_for_its_back_off_does_not_hold_up_other_work()
    {
        var flaky = await CreateRunAsync(
            Retrying(
                new RetryPolicy
                {
                    MaxAttempts = 2,
                    ExitCodes = [1],
                    Delay = TimeSpan.FromMinutes(1),
                }
            )
        );
        Advance(TimeSpan.FromSeconds(1));
        var next = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        await CompleteAsync(lease, 1);

        var claimed = await ClaimAsync();
        Advance(TimeSpan.FromMinutes(1));
        var retried = await ClaimAsync();

        Assert.Equal(flaky.Id, lease.RunId);
        Assert.Equal(next.Id, claimed!.RunId);
        Assert.Equal((flaky.Id, 2), (retried!.RunId, retried.Attempt));
    }

    [Fact]
    public async Task Stopping_a_task_waiting_for_a_retry_ends_it()
    {
        var run = await CreateRunAsync(
            Retrying(
                new RetryPolicy
                {
                    MaxAttempts = 2,
                    ExitCodes = [1],
                    Delay = TimeSpan.FromMinutes(1),
                }
            )
        );
        var lease = (await ClaimAsync())!;
        await CompleteAsync(lease, 1);

        var stopped = await Store.RequestStopAsync(run.Id, StopReason.Killed, Time.GetUtcNow(), CancellationToken.None);
        Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(RunState.Stopped, stopped!.State);
        Assert.Null(await ClaimAsync());
    }
}
