using Hearth.Core.Locks;
using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>
/// The lifecycle's apply path: the store applies what the rules decide, in the transaction of the event.
/// </summary>
public abstract partial class RunStoreConformance
{
    private static readonly IReadOnlyDictionary<string, string> TestGroup = new Dictionary<string, string>
    {
        ["machine"] = "test",
    };

    /// <summary>
    /// A workflow of step 0, then 1.0 and 1.1 in parallel (1.0 holding lock <paramref name="lockName"/>), then step 2.
    /// </summary>
    private async Task<Run> CreateWorkflowAsync(int maxAttempts = 3, string? lockName = null)
    {
        var plan = new WorkflowPlan
        {
            Name = "parallel.kdl",
            Source = "parallel.kdl",
            Steps =
            [
                new PlanStep("0", PlanStepKind.Run, null, 0, "test", "echo 0", null, true, "parallel.kdl:4:5"),
                new PlanStep("1", PlanStepKind.Parallel, null, 1, null, null, null, true, "parallel.kdl:5:5"),
                new PlanStep(
                    "1.0",
                    PlanStepKind.Run,
                    "1",
                    0,
                    "test",
                    "echo 1.0",
                    null,
                    true,
                    "parallel.kdl:6:9",
                    lockName
                ),
                new PlanStep("1.1", PlanStepKind.Run, "1", 1, "test", "echo 1.1", null, true, "parallel.kdl:7:9"),
                new PlanStep("2", PlanStepKind.Run, null, 2, "test", "echo 2", null, true, "parallel.kdl:9:5"),
            ],
        };
        var run = new Run
        {
            Id = $"wf{Interlocked.Increment(ref _runs):D5}",
            Kind = RunKinds.Workflow,
            State = RunState.Starting,
            CreatedAt = Time.GetUtcNow(),
            Spec = new TaskSpec { Command = ["workflow", "parallel.kdl"] },
            CreatedBy = "tester",
            Plan = plan,
        };
        var tasks = plan
            .Steps.Where(s => s.Kind == PlanStepKind.Run)
            .Select(s => new NewTask(
                TaskIds.ForStep(run.Id, s.Id),
                s.Id,
                new TaskSpec
                {
                    Command = ["/bin/sh", "-c", s.Run!],
                    Requirements = TestGroup,
                    Lock = s.Lock is { } name ? new LockRequest(name) : null,
                },
                maxAttempts,
                s.Id == "0" ? TaskState.Pending : TaskState.Waiting
            )
            {
                Kind = TaskKind.WorkflowStep,
            })
            .ToList();
        await Store.CreateRunAsync(run, tasks, CancellationToken.None);
        return run;
    }

    private Task<Lease?> ClaimStepAsync(string agent) => ClaimAsync(agent, TestGroup);

    private static Dictionary<string, TaskState> States(Run run) => run.Tasks.ToDictionary(t => t.Name, t => t.State);

    [Fact]
    public async Task A_step_s_result_starts_the_next_steps_in_its_own_transaction_and_the_last_one_ends_the_run()
    {
        var run = await CreateWorkflowAsync();
        var zero = (await ClaimStepAsync("agent-a"))!;
        var written = await Store.CompleteAsync(
            zero.TaskId,
            zero.Epoch,
            new Completion(new TaskResult(0), StartedAt: Time.GetUtcNow()),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var afterZero = await GetAsync(run.Id);

        Assert.True(written.FreedLock, "queued steps are new work for the polls");
        Assert.Equal(run.Id, written.RunId);
        Assert.Equal(TaskState.Pending, States(afterZero)["1.0"]);
        Assert.Equal(TaskState.Pending, States(afterZero)["1.1"]);
        Assert.Equal(TaskState.Waiting, States(afterZero)["2"]);
        Assert.Equal(RunState.Running, afterZero.State);

        foreach (var agent in new[] { "agent-a", "agent-b" })
        {
            var lease = (await ClaimStepAsync(agent))!;
            await Store.CompleteAsync(
                lease.TaskId,
                lease.Epoch,
                new TaskResult(0),
                Time.GetUtcNow(),
                CancellationToken.None
            );
        }
        var two = (await ClaimStepAsync("agent-a"))!;
        Assert.Equal(TaskIds.ForStep(run.Id, "2"), two.TaskId);
        await Store.CompleteAsync(two.TaskId, two.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        var done = await GetAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.All(done.Tasks, t => Assert.Equal(TaskState.Succeeded, t.State));
    }

    [Fact]
    public async Task A_step_whose_agent_is_lost_runs_again_on_another_agent_and_the_run_succeeds()
    {
        var run = await CreateWorkflowAsync(maxAttempts: 3);
        var zero = (await ClaimStepAsync("agent-a"))!;
        await Store.CompleteAsync(zero.TaskId, zero.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        var lost = (await ClaimStepAsync("agent-a"))!;
        await RunningAsync(lost);
        var other = (await ClaimStepAsync("agent-b"))!;
        await RunningAsync(other);
        await Store.CompleteAsync(
            other.TaskId,
            other.Epoch,
            new TaskResult(0),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        Assert.Equal([run.Id], await RescueAsync());
        var again = (await ClaimStepAsync("agent-b"))!;
        await Store.CompleteAsync(
            again.TaskId,
            again.Epoch,
            new TaskResult(0),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var stale = await Store.CompleteAsync(
            lost.TaskId,
            lost.Epoch,
            new TaskResult(0),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var last = (await ClaimStepAsync("agent-b"))!;
        await Store.CompleteAsync(last.TaskId, last.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        var done = await GetAsync(run.Id);

        Assert.Equal((lost.TaskId, 2), (again.TaskId, again.Attempt));
        Assert.Equal(WriteStatus.Stale, stale.Status);
        Assert.Equal(RunState.Succeeded, done.State);
        var retried = done.Tasks.Single(t => t.Id == lost.TaskId);
        Assert.Equal((2, "agent-b"), (retried.Attempt, retried.AgentId));
        Assert.Equal("agent-a", Assert.Single(retried.History).AgentId);
        Assert.Contains(await Store.ReadLogsAsync(run.Id, 0, 100, CancellationToken.None), l =>
            l.Step == retried.Name
            && l.Text.Contains("lost (agent agent-a stopped renewing its lease); queued as attempt 2 of 3")
        );
    }

    [Fact]
    public async Task A_stopped_workflow_says_who_stopped_it_which_steps_were_running_and_which_never_started()
    {
        var run = await CreateWorkflowAsync();
        var zero = (await ClaimStepAsync("agent-a"))!;
        await Store.CompleteAsync(zero.TaskId, zero.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        var running = (await ClaimStepAsync("agent-a"))!;
        await RunningAsync(running);

        var stopping = (
            await Store.RequestStopAsync(
                run.Id,
                StopReason.Killed,
                Time.GetUtcNow(),
                CancellationToken.None,
                by: "alice"
            )
        )!;
        var heartbeat = await Store.HeartbeatAsync(
            running.TaskId,
            running.Epoch,
            Time.GetUtcNow(),
            LeaseTtl,
            CancellationToken.None
        );
        await Store.CompleteAsync(
            running.TaskId,
            running.Epoch,
            new TaskResult(137),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var stopped = await GetAsync(run.Id);
        var again = await Store.RequestStopAsync(
            run.Id,
            StopReason.Killed,
            Time.GetUtcNow(),
            CancellationToken.None,
            by: "bob"
        );

        var runningName = stopping.Tasks.Single(t => t.Id == running.TaskId).Name;
        var never = runningName == "1.0" ? "1.1" : "1.0";
        var reason = $"stopped by alice while step {runningName} was running; step {never}, 2 never started";
        Assert.Equal((RunState.Terminating, reason), (stopping.State, stopping.Reason));
        Assert.Equal(StopReason.Killed, heartbeat.Stop);
        Assert.Equal((RunState.Stopped, reason), (stopped.State, stopped.Reason));
        Assert.Equal(TaskState.Stopped, States(stopped)[never]);
        Assert.Equal(reason, again!.Reason);
        // Nothing of the run is left for an agent to take.
        var lease = await Store.ClaimAsync(
            new ClaimRequest("agent-c", TestGroup, Time.GetUtcNow(), LeaseTtl),
            CancellationToken.None
        );
        Assert.Null(lease);
    }

    [Fact]
    public async Task Reconcile_moves_a_workflow_on_and_is_idempotent()
    {
        var run = await CreateWorkflowAsync();
        Assert.False(await Store.ReconcileAsync(run.Id, Time.GetUtcNow(), CancellationToken.None));
        var zero = (await ClaimStepAsync("agent-a"))!;
        await Store.CompleteAsync(zero.TaskId, zero.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        Assert.False(await Store.ReconcileAsync(run.Id, Time.GetUtcNow(), CancellationToken.None));
        Assert.False(await Store.ReconcileAsync("no-such-run", Time.GetUtcNow(), CancellationToken.None));
    }
}
