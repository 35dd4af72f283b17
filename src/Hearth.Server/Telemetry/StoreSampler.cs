using Hearth.Core.Api;
using Hearth.Core.Labels;
using Hearth.Core.Placement;
using Hearth.Core.Runs;
using Hearth.Server.Placement;
using Hearth.Store;
using Hearth.Store.Metrics;
using Hearth.Store.Sql;

namespace Hearth.Server.Telemetry;

/// <summary>
/// Reads the store before each scrape: the totals the observable instruments report, and the runs and tasks that ended
/// since the last scrape, recorded into the histograms. The window ends <see cref="Settle"/> before now, so a result
/// stored with an earlier time but committed after a scrape is still seen by the next one (never counted twice).
/// </summary>
/// A store that does not answer costs the scrape only the store's series: they keep their last reading, the failure is
/// logged and counted (<c>hearth_errors_total{class="metrics_store"}</c>), and the process's own series are served.
public sealed class StoreSampler(
    IRunStore store,
    AgentFleet fleet,
    HearthMetrics metrics,
    TimeProvider time,
    ILogger<StoreSampler> logger
)
{
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset _ended = time.GetUtcNow() - Settle;

    public async Task RefreshAsync(CancellationToken ct)
    {
        if (store is not IStoreMetrics reader)
            return;
        await _gate.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            var upTo = now - Settle;
            if (upTo < _ended)
                upTo = _ended;
            MetricsSample sample;
            IReadOnlyList<AgentSnapshot> agents;
            try
            {
                sample = await reader.SampleMetricsAsync(_ended, upTo, now, ct);
                agents = await fleet.SnapshotAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException && Api.DatabaseErrors.Map(e) is not null)
            {
                logger.LogWarning(e, "metrics: the store did not answer; its series keep their last reading");
                metrics.Error("metrics_store");
                return;
            }
            metrics.Publish(Convert(sample, agents));
            foreach (var run in sample.EndedRuns)
                metrics.RunEnded(run.Kind, StateName(run.State.ToString()), run.EndedAt!.Value - run.CreatedAt);
            foreach (var task in sample.EndedTasks)
                RecordPhases(task);
            _ended = upTo;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stored state names as label values: Succeeded → succeeded, TimedOut → timed_out.</summary>
    public static string StateName(string state) =>
        string.Concat(
            state.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())
        );

    private void RecordPhases(RunTask task)
    {
        var startup = StartupView.From(task);
        var driver = SqlRunStore.DriverOf(task.Requirements);
        Phase("queued", startup.QueuedAt, startup.LeasedAt);
        Phase("leased", startup.LeasedAt, startup.SandboxStartedAt);
        Phase("sandbox_start", startup.SandboxStartedAt, startup.FirstOutputAt);
        Phase("first_output", startup.FirstOutputAt, startup.ExitedAt);
        Phase("exit_report", startup.ExitedAt, startup.ResultStoredAt);

        void Phase(string name, DateTimeOffset? from, DateTimeOffset? to)
        {
            if (from is { } f && to is { } t)
                metrics.StartupPhase(name, driver, t - f);
        }
    }

    private static StoreSample Convert(MetricsSample sample, IReadOnlyList<AgentSnapshot> agents)
    {
        var online = agents.Where(a => a.Status == AgentStatus.Online).ToList();
        var queue = sample
            .Queue.Select(q => new QueueSample(
                q.Requirements,
                q.Count,
                online.Count(a => LabelMatch.Satisfies(a.Labels, q.Labels))
            ))
            .ToList();
        var byStatus = Enum.GetValues<AgentStatus>()
            .ToDictionary(
                s => StateName(s.ToString()),
                s => (long)agents.Count(a => a.Status == s),
                StringComparer.Ordinal
            );
        return new StoreSample(
            Final(sample.Runs, s => Transitions.Run.IsTerminal(Enum.Parse<RunState>(s))),
            Final(sample.Tasks, s => Transitions.Task.IsTerminal(Enum.Parse<TaskState>(s))),
            sample.Retries,
            queue,
            byStatus,
            sample.Running,
            sample.Locks
        );
    }

    private static List<StateCount> Final(IReadOnlyList<StateCount> counts, Func<string, bool> terminal) =>
        counts.Where(c => terminal(c.State)).Select(c => c with { State = StateName(c.State) }).ToList();
}
