using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// Sends tasks whose lease expired back to the queue (or fails them as "agent lost"), a bounded page at a time.
/// Idempotent: a task already rescued no longer has an expired lease. Sweeps only while this server is the leader.
/// </summary>
public sealed class LeaseRescuer(
    IRunStore store,
    ILeaderLock leader,
    Signals signals,
    ServerOptions options,
    TimeProvider time,
    Telemetry.HearthMetrics metrics,
    ILogger<LeaseRescuer> logger
) : LeaderLoop(leader, time, logger, "lease rescue")
{
    public const int PageSize = 100;

    /// <summary>One sweep: pages until no expired lease is left. Returns the runs it touched.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var runs = await store.RescueExpiredAsync(Time.GetUtcNow(), PageSize, ct);
            foreach (var run in runs)
            {
                signals.Pulse(SignalKeys.Run(run));
                Logger.LogWarning("lease expired on run {Run}; its agent is gone", run);
            }
            if (runs.Count > 0)
                signals.Pulse(SignalKeys.Work);
            metrics.LeasesRescued(runs.Count);
            total += runs.Count;
            if (runs.Count < PageSize)
                return total;
        }
    }

    protected override TimeSpan Interval => options.RescueInterval;

    protected override Task TickAsync(CancellationToken ct) => SweepAsync(ct);
}
