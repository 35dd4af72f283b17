using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server.Services;

/// <summary>
/// Reconciles every project each second, on the leader only (as the other sweeps), so two servers never act on the
/// same plan at once; a change of leader costs nothing, as every pass starts from the stored state (a server restart
/// resumes without touching healthy replicas).
/// </summary>
public sealed class ServiceReconcilerLoop(ServiceDeployer deployer, ILeaderLock leader, TimeProvider time,
    ILogger<ServiceReconcilerLoop> logger) : LeaderLoop(leader, time, logger, "service reconciler")
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override TimeSpan Interval => Every;

    protected override Task TickAsync(CancellationToken ct) => deployer.ReconcileAllAsync(ct);
}
