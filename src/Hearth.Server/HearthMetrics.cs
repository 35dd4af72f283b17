using Prometheus;

namespace Hearth.Server;

/// <summary>The server's Prometheus metrics, in a registry of its own (no process-wide state), served at /metrics.</summary>
public sealed class HearthMetrics
{
    public HearthMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        RunsCreated = factory.CreateCounter("hearth_runs_created_total", "Runs accepted and stored.", "kind");
        LeasesGranted = factory.CreateCounter("hearth_leases_granted_total", "Tasks granted to agents (each grant bumps the epoch).");
        LeasesRescued = factory.CreateCounter("hearth_leases_rescued_total", "Runs touched by lease-expiry rescue.");
        StaleWrites = factory.CreateCounter("hearth_stale_writes_refused_total", "Agent writes refused because their lease epoch was stale.", "call");
        TasksCompleted = factory.CreateCounter("hearth_tasks_completed_total", "Results accepted from agents.");
    }

    public CollectorRegistry Registry { get; }
    public Counter RunsCreated { get; }
    public Counter LeasesGranted { get; }
    public Counter LeasesRescued { get; }
    public Counter StaleWrites { get; }
    public Counter TasksCompleted { get; }
}
