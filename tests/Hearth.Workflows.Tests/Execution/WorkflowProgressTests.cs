using Hearth.Core.Runs;
using Hearth.Workflows.Execution;

namespace Hearth.Workflows.Tests.Execution;

public sealed class WorkflowProgressTests
{
    // chain: 0 build; 1 parallel { 1.0 test; 1.1 lint }; 2 deploy (condition false or true)
    private static WorkflowPlan Plan(bool deployHolds = true) =>
        new()
        {
            Name = "ci",
            Source = "ci.kdl",
            Steps =
            [
                new PlanStep("0", PlanStepKind.Run, null, 0, "std", "make", null, true, "ci.kdl:3:5"),
                new PlanStep("1", PlanStepKind.Parallel, null, 1, null, null, null, true, "ci.kdl:4:5"),
                new PlanStep("1.0", PlanStepKind.Run, "1", 0, "std", "make test", null, true, "ci.kdl:5:9"),
                new PlanStep("1.1", PlanStepKind.Run, "1", 1, "small", "make lint", null, true, "ci.kdl:6:9"),
                new PlanStep(
                    "2",
                    PlanStepKind.Run,
                    null,
                    2,
                    "deploy",
                    "./deploy",
                    "$BRANCH == 'main'",
                    deployHolds,
                    "ci.kdl:8:5"
                ),
            ],
        };

    private static Dictionary<string, TaskState> States(params (string Id, TaskState State)[] states)
    {
        var all = new Dictionary<string, TaskState>
        {
            ["0"] = TaskState.Waiting,
            ["1.0"] = TaskState.Waiting,
            ["1.1"] = TaskState.Waiting,
            ["2"] = TaskState.Waiting,
        };
        foreach (var (id, state) in states)
            all[id] = state;
        return all;
    }

    private static Dictionary<string, TaskState> Apply(Dictionary<string, TaskState> states, WorkflowAdvance advance)
    {
        foreach (var d in advance.Decisions)
            states[d.StepId] = d.To;
        return states;
    }

    [Fact]
    public void Only_the_first_step_of_the_chain_starts()
    {
        var advance = WorkflowProgress.Advance(Plan(), States());
        Assert.Equal([new StepDecision("0", TaskState.Pending, null)], advance.Decisions);
        Assert.Null(advance.Outcome);
    }

    [Fact]
    public void A_parallel_group_starts_all_children_once_its_predecessor_succeeded()
    {
        var advance = WorkflowProgress.Advance(Plan(), States(("0", TaskState.Succeeded)));
        Assert.Equal(["1.0", "1.1"], advance.Decisions.Select(d => d.StepId));
        Assert.All(advance.Decisions, d => Assert.Equal(TaskState.Pending, d.To));
    }

    [Fact]
    public void The_next_step_waits_until_every_parallel_child_ended()
    {
        var advance = WorkflowProgress.Advance(
            Plan(),
            States(("0", TaskState.Succeeded), ("1.0", TaskState.Succeeded), ("1.1", TaskState.Running))
        );
        Assert.Empty(advance.Decisions);
        Assert.Null(advance.Outcome);
        var done = WorkflowProgress.Advance(
            Plan(),
            States(("0", TaskState.Succeeded), ("1.0", TaskState.Succeeded), ("1.1", TaskState.Succeeded))
        );
        Assert.Equal([new StepDecision("2", TaskState.Pending, null)], done.Decisions);
    }

    [Fact]
    public void A_failure_fails_the_chain_and_skips_the_rest_once_the_group_has_ended()
    {
        var running = WorkflowProgress.Advance(
            Plan(),
            States(("0", TaskState.Succeeded), ("1.0", TaskState.Failed), ("1.1", TaskState.Running))
        );
        Assert.Empty(running.Decisions);
        Assert.Null(running.Outcome);

        var end = WorkflowProgress.Advance(
            Plan(),
            States(("0", TaskState.Succeeded), ("1.0", TaskState.Failed), ("1.1", TaskState.Succeeded))
        );
        Assert.Equal([new StepDecision("2", TaskState.Skipped, "skipped: an earlier step failed")], end.Decisions);
        Assert.Equal(RunState.Failed, end.Outcome);
        Assert.Equal("step 1.0 failed", end.Reason);
    }

    [Fact]
    public void A_false_condition_skips_its_step_and_the_run_still_succeeds()
    {
        var states = States(("0", TaskState.Succeeded), ("1.0", TaskState.Succeeded), ("1.1", TaskState.Succeeded));
        var advance = WorkflowProgress.Advance(Plan(deployHolds: false), states);
        Assert.Equal(
            [new StepDecision("2", TaskState.Skipped, "condition false: $BRANCH == 'main'")],
            advance.Decisions
        );
        Assert.Equal(RunState.Succeeded, advance.Outcome);
    }

    [Fact]
    public void A_false_condition_skips_its_step_only_when_its_turn_comes_so_its_end_is_not_before_the_steps_before_it()
    {
        var start = WorkflowProgress.Advance(Plan(deployHolds: false), States());
        Assert.Equal([new StepDecision("0", TaskState.Pending, null)], start.Decisions);
        var midway = WorkflowProgress.Advance(
            Plan(deployHolds: false),
            States(("0", TaskState.Succeeded), ("1.0", TaskState.Running), ("1.1", TaskState.Succeeded))
        );
        Assert.Empty(midway.Decisions);
    }

    [Fact]
    public void Advancing_twice_changes_nothing_the_second_time()
    {
        var states = States(("0", TaskState.Succeeded));
        var first = WorkflowProgress.Advance(Plan(), states);
        var second = WorkflowProgress.Advance(Plan(), Apply(states, first));
        Assert.Empty(second.Decisions);
    }

    [Fact]
    public void A_condition_false_group_skips_everything_inside_and_the_chain_goes_on()
    {
        var plan = Plan() with
        {
            Steps =
            [
                .. Plan()
                    .Steps.Select(s => s.Id == "1" ? s with { Condition = "$TAG =~ 'v*'", ConditionHolds = false } : s),
            ],
        };
        var advance = WorkflowProgress.Advance(plan, States(("0", TaskState.Succeeded)));
        Assert.Equal(
            [
                new StepDecision("1.0", TaskState.Skipped, "condition false: $TAG =~ 'v*'"),
                new StepDecision("1.1", TaskState.Skipped, "condition false: $TAG =~ 'v*'"),
                new StepDecision("2", TaskState.Pending, null),
            ],
            advance.Decisions
        );
    }

    [Fact]
    public void A_timed_out_step_counts_as_a_failure()
    {
        var advance = WorkflowProgress.Advance(Plan(), States(("0", TaskState.TimedOut)));
        Assert.Equal(3, advance.Decisions.Count);
        Assert.All(advance.Decisions, d => Assert.Equal(TaskState.Skipped, d.To));
        Assert.Equal(RunState.Failed, advance.Outcome);
    }
}
