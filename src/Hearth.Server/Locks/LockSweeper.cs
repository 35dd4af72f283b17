using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Store;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

/// <summary>
/// The leader's lock loop: renews the leases of locks whose holder lives, frees expired ones, grants free locks whose
/// queue's head was busy at release, and fails runs whose --lock-wait ran out. Idempotent, like the lease rescuer.
/// </summary>
public sealed class LockSweeper(ILockStore locks, ILeaderLock leader, Signals signals, ServerOptions options, TimeProvider time, ILogger<LockSweeper> logger)
    : BackgroundService
{
    public async Task SweepAsync(CancellationToken ct)
    {
        var sweep = await locks.SweepAsync(time.GetUtcNow(), options.LeaseTtl, ct);
        foreach (var name in sweep.FreedLocks) logger.LogWarning("lock {Lock}: lease expired; freed", name);
        foreach (var run in sweep.GrantedRuns.Concat(sweep.FailedRuns)) signals.Pulse(SignalKeys.Run(run));
        if (sweep.GrantedRuns.Count > 0) signals.Pulse(SignalKeys.Work);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.CheckAsync(stoppingToken)) await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "lock sweep failed; retrying");
            }
            await Task.Delay(options.RescueInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
