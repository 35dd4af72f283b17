using Hearth.Core.Labels;

namespace Hearth.Core.Placement;

public enum PlacementOutcome
{
    /// <summary>
    /// An online agent that matches has a free slot: the task goes to the next poll of such an agent.
    /// </summary>
    Placeable,

    /// <summary>Online agents match, but every one is at capacity: the task waits for a slot.</summary>
    Busy,

    /// <summary>Only draining agents match: none of them will take it.</summary>
    Draining,

    /// <summary>No live agent matches at all: nothing can take the task until an agent that matches joins.</summary>
    Unplaceable,
}

/// <param name="Reason">Why the task waits ("waiting: no live agent has driver bubblewrap"); null when it is
/// placeable.</param>
/// <param name="Matching">Live agents that match the task's needs, whatever their load.</param>
public sealed record PlacementVerdict(PlacementOutcome Outcome, string? Reason, int Matching)
{
    /// <summary>Nothing live matches: the case that fails a task once it has lasted long enough.</summary>
    public bool Never => Outcome == PlacementOutcome.Unplaceable;
}

/// <summary>
/// Where a pending task can go, and in words why it cannot: a pure function of a snapshot of agents and the task's
/// needs, as the store's claim matches them (a driver label and the required labels, then a free slot).
/// </summary>
public static class TaskPlacement
{
    public static PlacementVerdict Explain(PlacementNeeds needs, IReadOnlyCollection<AgentSnapshot> agents)
    {
        var live = agents.Where(a => a.Status != AgentStatus.Offline).ToList();
        if (live.Count == 0)
        {
            var offline = agents.Count(a => Matches(a, needs));
            return new(PlacementOutcome.Unplaceable, "waiting: no agent is online" + OfflineNote(offline), 0);
        }

        var withDriver = needs.Driver is { } driver ? live.Where(a => a.Runs(driver)).ToList() : live;
        if (withDriver.Count == 0)
        {
            var offline = agents.Count(a => a.Status == AgentStatus.Offline && Matches(a, needs));
            return new(
                PlacementOutcome.Unplaceable,
                $"waiting: no live agent has driver {needs.Driver}" + OfflineNote(offline),
                0
            );
        }

        var matching = withDriver.Where(a => LabelMatch.Satisfies(a.Labels, needs.Labels)).ToList();
        if (matching.Count == 0)
        {
            var offline = agents.Count(a => a.Status == AgentStatus.Offline && Matches(a, needs));
            var labels = needs with { Driver = null };
            var scope = needs.Driver is null ? "no live agent" : $"no live agent with driver {needs.Driver}";
            return new(
                PlacementOutcome.Unplaceable,
                $"waiting: {scope} has {labels.Describe()}{OfflineNote(offline)}",
                0
            );
        }

        var online = matching.Where(a => a.Status == AgentStatus.Online).ToList();
        if (online.Count == 0)
            return new(PlacementOutcome.Draining, $"waiting: {Every(matching.Count, needs)} draining", matching.Count);
        if (online.Any(a => a.HasFreeSlot))
            return new(PlacementOutcome.Placeable, null, matching.Count);
        var slots = online.Sum(a => a.Capacity);
        var draining = matching.Count - online.Count;
        return new(
            PlacementOutcome.Busy,
            $"waiting: {Every(online.Count, needs)} busy ({slots} of {slots} slots taken){(draining > 0 ? $"; {draining} more draining" : "")}",
            matching.Count
        );
    }

    private static bool Matches(AgentSnapshot agent, PlacementNeeds needs) =>
        (needs.Driver is null || agent.Runs(needs.Driver)) && LabelMatch.Satisfies(agent.Labels, needs.Labels);

    /// <summary>
    /// "all 2 agents with labels group=test are", "the 1 agent with driver oci is", "all 3 agents are".
    /// </summary>
    private static string Every(int count, PlacementNeeds needs)
    {
        var with = needs.Describe() is { Length: > 0 } described ? $" with {described}" : "";
        return count == 1 ? $"the only agent{with} is" : $"all {count} agents{with} are";
    }

    private static string OfflineNote(int offline) =>
        offline switch
        {
            0 => "",
            1 => " (1 offline agent would take it)",
            _ => $" ({offline} offline agents would take it)",
        };
}
