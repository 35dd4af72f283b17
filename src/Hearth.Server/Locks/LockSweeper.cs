using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Store;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

/// <summary>
/// The leader's lock loop: renews the leases of locks whose holder lives, frees expired ones, grants free locks whose
/// queue's head was busy at release, and fails runs whose --lock-wait ran out. Idempotent, like the lease rescuer.
/// </summary>
public sealed class LockSweeper(
    ILockStore locks,
    ILeaderLock leader,
    Signals signals,
    ServerOptions options,
    TimeProvider time,
    ILogger<LockSweeper> logger
) : LeaderLoop(leader, time, logger, "lock sweep")
{
    public async Task SweepAsync(CancellationToken ct)
    {
        var sweep = await locks.SweepAsync(Time.GetUtcNow(), options.LeaseTtl, ct);
        foreach (var name in sweep.FreedLocks)
            Logger.LogWarning("lock {Lock}: lease expired; freed", name);
        foreach (var run in sweep.GrantedRuns.Concat(sweep.FailedRuns))
            signals.Pulse(SignalKeys.Run(run));
        if (sweep.GrantedRuns.Count > 0)
            signals.Pulse(SignalKeys.Work);
    }

    protected override TimeSpan Interval => options.RescueInterval;

    protected override Task TickAsync(CancellationToken ct) => SweepAsync(ct);
}
