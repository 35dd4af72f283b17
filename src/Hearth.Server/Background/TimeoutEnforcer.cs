using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// The server, not the agent, owns run timeouts: overdue runs are asked to stop (TERM, grace, KILL) as TIMED_OUT.
/// Sweeps only while this server is the leader.
/// </summary>
public sealed class TimeoutEnforcer(
    IRunStore store,
    ILeaderLock leader,
    RunService runs,
    ServerOptions options,
    TimeProvider time,
    ILogger<TimeoutEnforcer> logger
) : LeaderLoop(leader, time, logger, "timeout sweep")
{
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var overdue = await store.FindOverdueAsync(Time.GetUtcNow(), 100, ct);
        foreach (var runId in overdue)
        {
            Logger.LogInformation("run {Run} reached its timeout; stopping it", runId);
            await runs.StopAsync(runId, StopReason.TimedOut, ct);
        }
        return overdue.Count;
    }

    /// <summary>At least twice a second: a timeout fires within half a second of its deadline.</summary>
    protected override TimeSpan Interval =>
        options.RescueInterval < TimeSpan.FromMilliseconds(500)
            ? options.RescueInterval
            : TimeSpan.FromMilliseconds(500);

    protected override Task TickAsync(CancellationToken ct) => SweepAsync(ct);
}
