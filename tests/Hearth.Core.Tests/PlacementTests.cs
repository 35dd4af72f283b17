using Hearth.Core.Placement;
using Hearth.Core.Runs;

namespace Hearth.Core.Tests;

/// <summary>The pure placement function: which live agent can take a task, and in words why none can.</summary>
public sealed class PlacementTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static AgentSnapshot Agent(
        string name,
        string drivers = "bubblewrap",
        string labels = "",
        int capacity = 2,
        int running = 0,
        AgentStatus status = AgentStatus.Online
    )
    {
        var all = Labels.LabelMatch.Parse(labels);
        foreach (var driver in drivers.Split(',', StringSplitOptions.RemoveEmptyEntries))
            all[$"driver.{driver}"] = "true";
        return new AgentSnapshot(name, name, status, all, AgentSnapshot.DriversFromLabels(all), capacity, running, Now);
    }

    private static PlacementNeeds Needs(string requirements) =>
        PlacementNeeds.Of(Labels.LabelMatch.Parse(requirements));

    [Fact]
    public void A_driver_no_live_agent_runs_is_named()
    {
        var verdict = TaskPlacement.Explain(
            Needs("driver.process=true"),
            [Agent("dev-1"), Agent("dev-2", "bubblewrap,oci")]
        );

        Assert.Equal(PlacementOutcome.Unplaceable, verdict.Outcome);
        Assert.True(verdict.Never);
        Assert.Equal("waiting: no live agent has driver process", verdict.Reason);
    }

    [Fact]
    public void Labels_no_live_agent_carries_are_named_after_the_driver_that_matched()
    {
        var verdict = TaskPlacement.Explain(
            Needs("driver.bubblewrap=true,group=test"),
            [Agent("a", labels: "group=prod")]
        );

        Assert.Equal("waiting: no live agent with driver bubblewrap has labels group=test", verdict.Reason);
        Assert.True(verdict.Never);
    }

    [Fact]
    public void Without_a_driver_requirement_the_labels_alone_are_named()
    {
        var verdict = TaskPlacement.Explain(Needs("machine=gpu"), [Agent("a", labels: "machine=cpu")]);

        Assert.Equal("waiting: no live agent has labels machine=gpu", verdict.Reason);
    }

    [Fact]
    public void When_every_matching_agent_is_at_capacity_the_task_is_busy_not_unplaceable()
    {
        AgentSnapshot[] agents =
        [
            Agent("a", labels: "group=test", capacity: 2, running: 2),
            Agent("b", labels: "group=test", capacity: 1, running: 1),
            Agent("c", labels: "group=prod", capacity: 4, running: 0),
        ];

        var verdict = TaskPlacement.Explain(Needs("group=test"), agents);

        Assert.Equal(PlacementOutcome.Busy, verdict.Outcome);
        Assert.False(verdict.Never);
        Assert.Equal(2, verdict.Matching);
        Assert.Equal("waiting: all 2 agents with labels group=test are busy (3 of 3 slots taken)", verdict.Reason);
    }

    [Fact]
    public void A_matching_agent_with_a_free_slot_makes_the_task_placeable_with_no_reason()
    {
        var verdict = TaskPlacement.Explain(
            Needs("driver.bubblewrap=true,group=test"),
            [
                Agent("a", labels: "group=test", capacity: 1, running: 1),
                Agent("b", labels: "group=test", capacity: 2, running: 1),
            ]
        );

        Assert.Equal((PlacementOutcome.Placeable, null, 2), (verdict.Outcome, verdict.Reason, verdict.Matching));
    }

    [Fact]
    public void Draining_agents_take_nothing_but_do_not_make_the_task_unplaceable()
    {
        var verdict = TaskPlacement.Explain(
            Needs("group=test"),
            [Agent("a", labels: "group=test", status: AgentStatus.Draining)]
        );

        Assert.Equal(PlacementOutcome.Draining, verdict.Outcome);
        Assert.False(verdict.Never);
        Assert.Equal("waiting: the only agent with labels group=test is draining", verdict.Reason);
    }

    [Fact]
    public void Busy_online_agents_mention_the_draining_ones_beside_them()
    {
        var verdict = TaskPlacement.Explain(
            Needs("driver.oci=true"),
            [Agent("a", "oci", capacity: 1, running: 1), Agent("b", "oci", status: AgentStatus.Draining)]
        );

        Assert.Equal(
            "waiting: the only agent with driver oci is busy (1 of 1 slots taken); 1 more draining",
            verdict.Reason
        );
    }

    [Fact]
    public void Offline_agents_do_not_count_but_are_mentioned_when_they_would_match()
    {
        var verdict = TaskPlacement.Explain(
            Needs("driver.process=true"),
            [Agent("dev", "bubblewrap"), Agent("old", "process", status: AgentStatus.Offline)]
        );

        Assert.True(verdict.Never);
        Assert.Equal("waiting: no live agent has driver process (1 offline agent would take it)", verdict.Reason);
    }

    [Fact]
    public void With_no_agent_online_at_all_nothing_can_take_the_task()
    {
        Assert.Equal("waiting: no agent is online", TaskPlacement.Explain(Needs(""), []).Reason);
        Assert.True(TaskPlacement.Explain(Needs(""), [Agent("x", status: AgentStatus.Offline)]).Never);
    }

    [Fact]
    public void Needs_split_the_driver_requirement_from_labels_and_ignore_driver_attributes()
    {
        var needs = PlacementNeeds.Of(
            new TaskSpec
            {
                Command = ["true"],
                Requirements = new Dictionary<string, string>
                {
                    ["driver.oci"] = "true",
                    ["driver.oci.runtime"] = "crun",
                    ["arch"] = "arm64",
                },
            }
        );

        Assert.Equal("oci", needs.Driver);
        Assert.Equal(
            new Dictionary<string, string> { ["driver.oci.runtime"] = "crun", ["arch"] = "arm64" },
            needs.Labels
        );
        Assert.Equal("driver oci and labels arch=arm64,driver.oci.runtime=crun", needs.Describe());
    }

    [Fact]
    public void Drivers_are_read_from_driver_labels_only()
    {
        var labels = new Dictionary<string, string>
        {
            ["driver.bubblewrap"] = "true",
            ["driver.oci"] = "true",
            ["driver.default"] = "bubblewrap",
            ["driver.oci.runtime"] = "crun",
            ["group"] = "x",
        };

        Assert.Equal(["bubblewrap", "oci"], AgentSnapshot.DriversFromLabels(labels).Select(d => d.Name));
    }
}
