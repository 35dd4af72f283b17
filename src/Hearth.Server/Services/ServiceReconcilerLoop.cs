using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server.Services;

/// <summary>
/// Reconciles every project on the leader only (as the other sweeps), so two servers never act on the same plan at
/// once; a change of leader costs nothing, as every pass starts from the stored state (a server restart resumes without
/// touching healthy replicas). A pass runs as soon as something it decides from changes — a replica's task changed
/// state, a replica's health, a project's desired state, an agent registered, here or on another server — and at least
/// every <see cref="Every"/>, so a lost announcement costs at most one period.
/// </summary>
public sealed class ServiceReconcilerLoop : LeaderLoop
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    private readonly ServiceDeployer _deployer;
    private readonly ServiceWake _wake = new();
    private readonly IDisposable _watches;

    public ServiceReconcilerLoop(
        ServiceDeployer deployer,
        Signals signals,
        ILeaderLock leader,
        TimeProvider time,
        ILogger<ServiceReconcilerLoop> logger
    )
        : base(leader, time, logger, "service reconciler")
    {
        _deployer = deployer;
        _watches = WatchChanges(signals, deployer.IsReplicaRun, _wake);
    }

    /// <summary>Sets <paramref name="wake"/> on what a pass decides from; on a resync of the change feed too.</summary>
    public static IDisposable WatchChanges(Signals signals, Func<string, bool> isReplicaRun, ServiceWake wake)
    {
        IDisposable[] watches =
        [
            signals.Watch(SignalKeys.ProjectPrefix, _ => wake.Set(), wake.Set),
            signals.Watch(
                SignalKeys.RunPrefix,
                key =>
                {
                    if (isReplicaRun(key[SignalKeys.RunPrefix.Length..]))
                        wake.Set();
                },
                wake.Set
            ),
            signals.Watch(SignalKeys.AgentPrefix, _ => wake.Set(), wake.Set),
        ];
        return new Watches(watches);
    }

    private sealed class Watches(IDisposable[] all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var watch in all)
                watch.Dispose();
        }
    }

    protected override TimeSpan Interval => Every;

    protected override Task TickAsync(CancellationToken ct) => _deployer.ReconcileAllAsync(ct);

    protected override Task PauseAsync(CancellationToken ct) => _wake.WaitAsync(Interval, Time, ct);

    public override void Dispose()
    {
        _watches.Dispose();
        base.Dispose();
    }
}
