using Hearth.Core.Placement;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Placement;

/// <summary>
/// The agents as placement sees them, read from the store (so every server sees the same fleet): who is online,
/// draining or offline, what each runs and how many of its slots are taken; and why a pending task waits.
/// </summary>
public sealed class AgentFleet(IRunStore store, ServerOptions options, TimeProvider time)
{
    /// <summary>
    /// An agent not heard from for this long is offline. An idle agent is heard from at least every 10 s (its polls);
    /// an agent holding a lease counts as live while it does (its heartbeats keep the lease).
    /// </summary>
    public TimeSpan OfflineAfter =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, options.LeaseTtl.Ticks * 3));

    public async Task<IReadOnlyList<AgentSnapshot>> SnapshotAsync(CancellationToken ct)
    {
        var agents = await store.ListAgentsAsync(ct);
        var leased = await store.CountLeasedTasksAsync(ct);
        var now = time.GetUtcNow();
        return agents.Select(a => Snapshot(a, leased.GetValueOrDefault(a.Id), now)).ToList();
    }

    public AgentSnapshot Snapshot(AgentRecord agent, int running, DateTimeOffset now)
    {
        var live = running > 0 || now - agent.LastSeenAt <= OfflineAfter;
        var status =
            !live ? AgentStatus.Offline
            : agent.DrainingSince is null ? AgentStatus.Online
            : AgentStatus.Draining;
        return new AgentSnapshot(
            agent.Id,
            agent.Name,
            status,
            agent.Labels,
            AgentSnapshot.DriversFromLabels(agent.Labels),
            agent.Capacity,
            running,
            agent.LastSeenAt
        );
    }

    /// <summary>Why the task waits for an agent, or null: it is not pending, or an agent can take it now.</summary>
    public static string? Waiting(RunTask task, IReadOnlyCollection<AgentSnapshot> fleet, DateTimeOffset now)
    {
        if (task.State != TaskState.Pending || task.NotBefore > now)
            return null;
        return TaskPlacement.Explain(PlacementNeeds.Of(task.Requirements), fleet).Reason;
    }

    /// <summary>Why the run's first pending task waits for an agent, or null.</summary>
    public async Task<string?> WaitingAsync(Run run, CancellationToken ct)
    {
        if (!run.Tasks.Any(t => t.State == TaskState.Pending))
            return null;
        var fleet = await SnapshotAsync(ct);
        return run.Tasks.Select(t => Waiting(t, fleet, time.GetUtcNow())).FirstOrDefault(w => w is not null);
    }
}
