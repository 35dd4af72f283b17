using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Lifecycle.Tests.Snapshots;

namespace Hearth.Lifecycle.Tests;

public sealed class CommandRulesTests
{
    private static readonly LifecycleRules Rules = new();

    [Fact]
    public void A_lost_agent_requeues_the_task_as_its_next_attempt_and_the_run_is_starting_again()
    {
        var plan = Rules.Decide(Command(Task("1", TaskState.Running, maxAttempts: 3)), new LeaseExpired("run1-1", T0));

        var change = Assert.Single(plan.Tasks);
        Assert.Equal((TaskState.Running, TaskState.Pending, true), (change.From, change.To, change.NextAttempt));
        Assert.Equal("agent lost: lease expired", Assert.Single(change.History!).Reason);
        Assert.Equal(RunState.Starting, plan.Run!.To);
        Assert.Contains(
            "attempt 1 lost (agent agent-a stopped renewing its lease); queued as attempt 2 of 3",
            Assert.Single(plan.Lines).Text
        );
    }

    [Fact]
    public void The_last_attempt_lost_fails_the_run_naming_every_agent_that_was_lost()
    {
        var earlier = new AttemptRecord(1, "agent-b", T0, "agent lost: lease expired");
        var plan = Rules.Decide(
            Command(Task("1", TaskState.Running, attempt: 2, maxAttempts: 2, history: [earlier])),
            new LeaseExpired("run1-1", T0)
        );

        var change = Assert.Single(plan.Tasks);
        Assert.Equal(TaskState.Failed, change.To);
        Assert.Equal(
            "agent lost after 2 attempt(s) (attempt 1 on agent agent-b: agent lost: lease expired; attempt 2 on agent agent-a: agent lost: lease expired)",
            change.Reason
        );
        Assert.Equal((RunState.Failed, change.Reason), (plan.Run!.To, plan.Run.Reason));
    }

    [Fact]
    public void A_script_s_own_failure_is_not_retried_unless_its_policy_names_the_exit_code()
    {
        var plain = Rules.Decide(
            Command(Task("1", TaskState.Running, maxAttempts: 3)),
            new TaskReported("run1-1", new TaskResult(2), null, T0)
        );
        Assert.Equal((TaskState.Failed, "exit code 2"), (Assert.Single(plain.Tasks).To, plain.Run!.Reason));

        var asked = Rules.Decide(
            Command(
                Task(
                    "1",
                    TaskState.Running,
                    maxAttempts: 3,
                    retry: new RetryPolicy { MaxAttempts = 3, ExitCodes = [2] }
                )
            ),
            new TaskReported("run1-1", new TaskResult(2), null, T0)
        );
        Assert.Equal(TaskState.Pending, Assert.Single(asked.Tasks).To);
    }

    [Fact]
    public void A_task_that_ends_lets_go_of_its_lock_and_a_requeued_one_keeps_it_under_a_new_token()
    {
        var ended = Rules.Decide(
            Command(Task("1", TaskState.Running, lockName: "deploy")),
            new TaskReported("run1-1", new TaskResult(0), null, T0)
        );
        Assert.Equal(LockStep.Release, Assert.Single(ended.Tasks).Lock);
        Assert.True(ended.ReleasesLock);

        var requeued = Rules.Decide(
            Command(Task("1", TaskState.Running, maxAttempts: 2, lockName: "deploy")),
            new LeaseExpired("run1-1", T0)
        );
        Assert.Equal(LockStep.Refence, Assert.Single(requeued.Tasks).Lock);
    }

    [Fact]
    public void A_task_never_reported_running_starts_and_ends_in_one_plan()
    {
        var started = T0.AddSeconds(-2);
        var plan = Rules.Decide(
            Command(Task("1", TaskState.Leased), RunState.Starting),
            new TaskReported("run1-1", new TaskResult(0), started, T0)
        );

        Assert.Equal(
            (TaskState.Leased, TaskState.Succeeded, started),
            (plan.Tasks[0].From, plan.Tasks[0].To, plan.Tasks[0].StartedAt)
        );
        Assert.Equal(
            (RunState.Starting, RunState.Succeeded, started, T0),
            (plan.Run!.From, plan.Run.To, plan.Run.StartedAt, plan.Run.EndedAt)
        );
    }

    [Fact]
    public void A_stop_names_who_asked_when_the_run_had_not_started()
    {
        var plan = Rules.Decide(
            Command(Task("1", TaskState.Pending), RunState.Starting),
            new StopRequested(StopReason.Killed, "alice", T0)
        );
        Assert.Equal((RunState.Stopped, "killed by alice before it started"), (plan.Run!.To, plan.Run.Reason));
        Assert.Equal("hearth: stop requested by alice, stopping", Assert.Single(plan.Lines).Text);
    }

    [Fact]
    public void Reports_for_tasks_no_longer_live_and_stops_of_ended_runs_change_nothing()
    {
        Assert.True(
            Rules
                .Decide(
                    Command(Task("1", TaskState.Succeeded)),
                    new TaskReported("run1-1", new TaskResult(0), null, T0)
                )
                .IsEmpty
        );
        Assert.True(
            Rules
                .Decide(
                    Command(Task("1", TaskState.Succeeded), RunState.Succeeded),
                    new StopRequested(StopReason.Killed, "a", T0)
                )
                .IsEmpty
        );
    }

    [Fact]
    public void Jitter_takes_a_seeded_share_off_the_back_off_the_same_each_time()
    {
        var policy = new RetryPolicy
        {
            MaxAttempts = 3,
            ExitCodes = [1],
            Delay = TimeSpan.FromSeconds(10),
        };
        TimeSpan DelayWith(int seed) =>
            new LifecycleRules(jitter: 0.5, seed: seed)
                .Decide(
                    Command(Task("1", TaskState.Running, maxAttempts: 3, retry: policy)),
                    new TaskReported("run1-1", new TaskResult(1), null, T0)
                )
                .Tasks.Single()
                .NotBefore!.Value - T0;

        var first = DelayWith(7);
        Assert.Equal(first, DelayWith(7));
        Assert.InRange(first, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        Assert.Contains(Enumerable.Range(0, 20).Select(DelayWith), d => d != first);
        Assert.Equal(
            TimeSpan.FromSeconds(10),
            new LifecycleRules()
                .Decide(
                    Command(Task("1", TaskState.Running, maxAttempts: 3, retry: policy)),
                    new TaskReported("run1-1", new TaskResult(1), null, T0)
                )
                .Tasks.Single()
                .NotBefore!.Value - T0
        );
    }
}
