using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Lifecycle.Tests.Snapshots;

namespace Hearth.Lifecycle.Tests;

public sealed class WorkflowStepRulesTests
{
    private static readonly LifecycleRules Rules = new();

    private static LifecycleSnapshot Workflow(RunState state, params TaskSnapshot[] steps) =>
        Of(RunKinds.Workflow, state, ParallelPlan(), steps);

    [Fact]
    public void A_step_that_succeeds_starts_the_next_ones_in_the_same_plan()
    {
        var plan = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Running),
                Step("1.0", TaskState.Waiting, lockName: "db"),
                Step("1.1", TaskState.Waiting),
                Step("2", TaskState.Waiting)
            ),
            new TaskReported("run1-0", new TaskResult(0), null, T0)
        );

        Assert.Equal(["0:Succeeded", "1.0:Pending", "1.1:Pending"], plan.Tasks.Select(t => $"{t.TaskId[5..]}:{t.To}"));
        Assert.Equal(LockStep.Take, plan.Tasks[1].Lock);
        Assert.Null(plan.Run);
    }

    [Fact]
    public void A_step_whose_agent_is_lost_goes_back_to_the_queue_and_the_run_goes_on()
    {
        var plan = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Succeeded),
                Step("1.0", TaskState.Running),
                Step("1.1", TaskState.Running),
                Step("2", TaskState.Waiting)
            ),
            new LeaseExpired("run1-1.0", T0)
        );

        var change = Assert.Single(plan.Tasks);
        Assert.Equal((TaskState.Pending, true), (change.To, change.NextAttempt));
        Assert.Null(plan.Run);
    }

    [Fact]
    public void With_one_attempt_a_lost_step_fails_the_run_whose_reason_names_the_lost_agent()
    {
        var plan = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Succeeded),
                Step("1.0", TaskState.Running, maxAttempts: 1),
                Step("1.1", TaskState.Succeeded),
                Step("2", TaskState.Waiting)
            ),
            new LeaseExpired("run1-1.0", T0)
        );

        Assert.Equal(["1.0:Failed", "2:Skipped"], plan.Tasks.Select(t => $"{t.TaskId[5..]}:{t.To}"));
        Assert.Equal(RunState.Failed, plan.Run!.To);
        Assert.Equal(
            "step 1.0 failed (agent lost after 1 attempt(s) (attempt 1 on agent agent-a: agent lost: lease expired))",
            plan.Run.Reason
        );
    }

    [Fact]
    public void A_stopped_run_names_who_stopped_it_which_steps_were_running_and_which_never_started()
    {
        var stop = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Succeeded),
                Step("1.0", TaskState.Running),
                Step("1.1", TaskState.Leased),
                Step("2", TaskState.Waiting)
            ),
            new StopRequested(StopReason.Killed, "alice", T0)
        );

        Assert.Equal(RunState.Terminating, stop.Run!.To);
        Assert.Equal("stopped by alice while step 1.0, 1.1 were running; step 2 never started", stop.Run.Reason);
        Assert.Equal(
            ["1.0:Running:Killed", "1.1:Leased:Killed", "2:Stopped:Killed"],
            stop.Tasks.Select(t => $"{t.TaskId[5..]}:{t.To}:{t.Stop}")
        );

        // The last running step's end ends the run, keeping that reason (not "step 1.0, 1.1, 2 failed").
        var terminating = Workflow(
            RunState.Terminating,
            Step("0", TaskState.Succeeded),
            Step("1.0", TaskState.Stopped),
            Step("1.1", TaskState.Running, stop: StopReason.Killed),
            Step("2", TaskState.Stopped)
        ) with
        { };
        terminating = terminating with
        {
            Run = terminating.Run with { StopReason = StopReason.Killed, Reason = stop.Run.Reason },
        };
        var end = Rules.Decide(terminating, new TaskReported("run1-1.1", new TaskResult(137), null, T0));
        Assert.Equal((RunState.Terminating, RunState.Stopped, true), (end.Run!.From, end.Run.To, end.Run.KeepReason));
    }

    [Fact]
    public void A_run_stopped_while_waiting_for_an_agent_does_not_say_it_was_killed_before_it_started()
    {
        var plan = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Succeeded),
                Step("1.0", TaskState.Pending),
                Step("1.1", TaskState.Pending),
                Step("2", TaskState.Waiting)
            ),
            new StopRequested(StopReason.Killed, "bob", T0)
        );

        Assert.Equal(
            (RunState.Stopped, "stopped by bob; step 1.0, 1.1, 2 never started"),
            (plan.Run!.To, plan.Run.Reason)
        );
    }

    [Fact]
    public void Reconcile_moves_a_run_whose_steps_ended_without_it()
    {
        var plan = Rules.Decide(
            Workflow(
                RunState.Running,
                Step("0", TaskState.Succeeded),
                Step("1.0", TaskState.Succeeded),
                Step("1.1", TaskState.Succeeded),
                Step("2", TaskState.Succeeded)
            ),
            new Reconcile(T0)
        );
        Assert.Equal(RunState.Succeeded, plan.Run!.To);
        Assert.True(
            Rules.Decide(Workflow(RunState.Succeeded, Step("0", TaskState.Succeeded)), new Reconcile(T0)).IsEmpty
        );
    }
}
