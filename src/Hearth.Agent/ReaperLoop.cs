using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// The agent's orphan reaper: once at start, before any lease (what an earlier run of this agent left is killed before
/// its task's next attempt can start), then every <see cref="AgentOptions.ReapInterval"/>. Each removal is a warning in
/// the agent's log, and each pass one line with its counts per kind.
/// </summary>
public sealed class ReaperLoop(
    OrphanReaper reaper,
    TimeSpan interval,
    TimeProvider time,
    ILogger logger,
    Telemetry.AgentMetrics? metrics = null
)
{
    private long _removed;
    private long _failed;

    /// <summary>Orphans removed since the agent started.</summary>
    public long Removed => Interlocked.Read(ref _removed);

    /// <summary>Orphans that could not be removed since the agent started (each pass tries again).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public async Task<ReapReport> ReapOnceAsync(CancellationToken cancellationToken)
    {
        var report = await reaper.ReapAsync(dryRun: false, cancellationToken);
        foreach (var entry in report.Resources)
        {
            var r = entry.Resource;
            if (entry.Outcome == ReapOutcome.Removed)
                metrics?.OrphanReaped(Telemetry.AgentMetricNames.Snake(r.Kind.ToString()));
            else
                metrics?.OrphanNotReaped();
            if (entry.Outcome == ReapOutcome.Removed)
                logger.LogWarning("reaped orphan {Kind} {Name} of sandbox {Sandbox}", r.Kind, r.Name, r.SandboxId);
            else
                logger.LogWarning(
                    "cannot reap orphan {Kind} {Name} of sandbox {Sandbox}: {Error}",
                    r.Kind,
                    r.Name,
                    r.SandboxId,
                    entry.Error
                );
        }
        foreach (var error in report.Errors)
            logger.LogWarning("the orphan reaper could not look everywhere: {Error}", error);
        LogPass(report);
        Interlocked.Add(ref _removed, report.Removed);
        Interlocked.Add(ref _failed, report.Failed);
        return report;
    }

    /// <summary>
    /// One structured line per pass (the counts are also hearth_agent_orphans_* at the agent's /metrics): what was
    /// removed per kind, and how much failed. Information when the pass found anything, else Debug.
    /// </summary>
    private void LogPass(ReapReport report)
    {
        var removed = report
            .Resources.Where(r => r.Outcome == ReapOutcome.Removed)
            .CountBy(r => r.Resource.Kind)
            .ToDictionary(c => c.Key, c => c.Value);
        int Of(ResourceKind kind) => removed.GetValueOrDefault(kind);
        var level = report.Resources.Count > 0 || report.Errors.Count > 0 ? LogLevel.Information : LogLevel.Debug;
        logger.Log(
            level,
            "orphan reaper pass: {Removed} removed, {Failed} failed, {Unsearched} places unsearched; removed processes={Processes} "
                + "containers={Containers} mounts={Mounts} cgroups={Cgroups} network_namespaces={NetworkNamespaces} veths={Veths} nft_rules={NftRules} "
                + "bridges={Bridges} image_leases={ImageLeases} directories={Directories}",
            report.Removed,
            report.Failed,
            report.Errors.Count,
            Of(ResourceKind.Process),
            Of(ResourceKind.Container),
            Of(ResourceKind.Mount),
            Of(ResourceKind.Cgroup),
            Of(ResourceKind.NetworkNamespace),
            Of(ResourceKind.Veth),
            Of(ResourceKind.NftRule),
            Of(ResourceKind.Bridge),
            Of(ResourceKind.ImageLease),
            Of(ResourceKind.Directory)
        );
    }

    /// <summary>
    /// Reaps every interval until <paramref name="stop"/>; a pass that throws is logged and the next one runs.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (interval <= TimeSpan.Zero)
            return;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stop);
                await ReapOnceAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                logger.LogError("the orphan reaper failed: {Error}", e.Message);
                metrics?.Error("reaper");
            }
        }
    }
}
