using Hearth.Core;
using Hearth.Core.Placement;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Placement;

/// <summary>
/// Fails a pending task once no live agent has matched it at all for <see cref="ServerOptions.UnplaceableTimeout"/>,
/// with the placement's reason. The clock starts when this server (the leader) first sees the task unplaceable, so a
/// restarted server or a new leader gives agents the whole time again to come back; a task that becomes placeable in
/// between starts over. Busy or draining agents that match never fail a task: it waits for them.
/// </summary>
public sealed class UnplaceableSweeper(
    IRunStore store,
    AgentFleet fleet,
    Signals signals,
    ILeaderLock leader,
    ServerOptions options,
    TimeProvider time,
    ILogger<UnplaceableSweeper> logger
) : LeaderLoop(leader, time, logger, "placement sweep")
{
    private const int Batch = 500;
    private readonly Dictionary<string, DateTimeOffset> _unplaceableSince = new(StringComparer.Ordinal);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override Task TickAsync(CancellationToken ct) => SweepAsync(ct);

    /// <summary>One pass; returns the ids of the tasks it failed.</summary>
    public async Task<IReadOnlyList<string>> SweepAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        var pending = await store.ListPendingTasksAsync(now, Batch, ct);
        var failed = new List<string>();
        if (pending.Count == 0)
        {
            _unplaceableSince.Clear();
            return failed;
        }
        var agents = await fleet.SnapshotAsync(ct);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in pending)
        {
            var verdict = TaskPlacement.Explain(PlacementNeeds.Of(task.Spec), agents);
            if (!verdict.Never)
                continue;
            seen.Add(task.Id);
            if (!_unplaceableSince.TryGetValue(task.Id, out var since))
                _unplaceableSince[task.Id] = since = now;
            if (now - since < options.UnplaceableTimeout)
                continue;
            var reason =
                $"no agent could take it for {Durations.Format(options.UnplaceableTimeout)}: "
                + verdict.Reason!["waiting: ".Length..];
            if (!await store.FailPendingAsync(task.Id, reason, now, ct))
                continue;
            Logger.LogInformation("task {Task} failed: {Reason}", task.Id, reason);
            failed.Add(task.Id);
            signals.Pulse(SignalKeys.Run(task.RunId));
            signals.Pulse(SignalKeys.Work);
        }
        foreach (var id in _unplaceableSince.Keys.Where(id => !seen.Contains(id) || failed.Contains(id)).ToList())
            _unplaceableSince.Remove(id);
        return failed;
    }
}
