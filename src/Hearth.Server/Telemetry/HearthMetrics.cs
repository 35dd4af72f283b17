using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hearth.Server.Telemetry;

/// <summary>
/// The server's instruments, on a <see cref="Meter"/> of its own per server (no process-wide state: two servers in one
/// process count apart), exported at /metrics through OpenTelemetry's Prometheus exporter. Names follow Prometheus'
/// conventions as written; docs/observability.md describes each. Totals that every server sharing a database sees
/// alike (runs, tasks, retries, the queue, locks, agents) are read from the store at each scrape
/// (<see cref="StoreSampler"/>); what only this process sees (requests, leases it granted, bytes it stored) is counted
/// here as it happens.
/// </summary>
public sealed class HearthMetrics : IDisposable
{
    public const string MeterName = "Hearth.Server";

    /// <summary>Seconds: from 5 ms (a warm bubblewrap start) to an hour (a long CI job).</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets =
    [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
        30,
        60,
        300,
        900,
        3600,
    ];

    private readonly Counter<long> _runsCreated;
    private readonly Counter<long> _leasesGranted;
    private readonly Counter<long> _leaseRescues;
    private readonly Counter<long> _staleWrites;
    private readonly Counter<long> _tasksCompleted;
    private readonly Counter<long> _logBytes;
    private readonly Counter<long> _logLines;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _startupPhase;
    private readonly Histogram<long> _webhookBatchDeliveries;
    private readonly Histogram<double> _webhookBatchWrite;
    private StoreSample _sample = StoreSample.Empty;

    public HearthMetrics()
    {
        Meter = new Meter(MeterName);
        _runsCreated = Meter.CreateCounter<long>(
            "hearth_runs_created_total",
            description: "Runs accepted and stored, by kind."
        );
        _leasesGranted = Meter.CreateCounter<long>(
            "hearth_leases_granted_total",
            description: "Tasks granted to agents by this server."
        );
        _leaseRescues = Meter.CreateCounter<long>(
            "hearth_lease_rescues_total",
            description: "Runs whose task's lease expired and was rescued by this server (requeued or failed as agent lost)."
        );
        _staleWrites = Meter.CreateCounter<long>(
            "hearth_stale_writes_refused_total",
            description: "Agent writes refused because their lease epoch was stale, by call."
        );
        _tasksCompleted = Meter.CreateCounter<long>(
            "hearth_tasks_completed_total",
            description: "Results accepted from agents by this server."
        );
        _logBytes = Meter.CreateCounter<long>(
            "hearth_log_bytes_total",
            unit: "By",
            description: "Bytes of task output (UTF-8, after masking) stored by this server."
        );
        _logLines = Meter.CreateCounter<long>(
            "hearth_log_lines_total",
            description: "Lines of task output stored by this server."
        );
        _errors = Meter.CreateCounter<long>(
            "hearth_errors_total",
            description: "Errors by class (database, internal, conflict, bad_request, metrics_store)."
        );
        _webhookDeliveries = Meter.CreateCounter<long>(
            "hearth_webhook_deliveries_total",
            description: "Webhook deliveries received, by forge and outcome."
        );
        _webhookBatchDeliveries = Meter.CreateHistogram(
            "hearth_webhook_batch_deliveries",
            unit: "{delivery}",
            description: "Deliveries written in one transaction by the group-commit writer.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] }
        );
        _webhookBatchWrite = Meter.CreateHistogram(
            "hearth_webhook_batch_write_seconds",
            unit: "s",
            description: "One group-commit transaction of webhook deliveries, from its start to its durable commit.",
            advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
            }
        );
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets };
        _runDuration = Meter.CreateHistogram(
            "hearth_run_duration_seconds",
            unit: "s",
            description: "Runs that ended: from creation to end, by kind and final state.",
            advice: buckets
        );
        _startupPhase = Meter.CreateHistogram(
            "hearth_startup_phase_seconds",
            unit: "s",
            description: "Each phase of an ended attempt (queued, leased, sandbox_start, first_output, exit_report), by phase and driver.",
            advice: buckets
        );

        Meter.CreateObservableCounter(
            "hearth_runs_total",
            () => Final(_sample.Runs),
            description: "Runs that reached a final state, by kind and state (from the store: alike on every server)."
        );
        Meter.CreateObservableCounter(
            "hearth_tasks_total",
            () => Final(_sample.Tasks),
            description: "Tasks that reached a final state, by kind and state (from the store)."
        );
        Meter.CreateObservableCounter(
            "hearth_task_retries_total",
            () =>
                _sample.Retries.Select(r => new Measurement<long>(
                    r.Value,
                    new KeyValuePair<string, object?>("kind", r.Key)
                )),
            description: "Attempts after a task's first (retries and lease rescues), by task kind (from the store)."
        );
        Meter.CreateObservableGauge(
            "hearth_queue_depth",
            () =>
                _sample.Queue.Select(q => new Measurement<long>(
                    q.Count,
                    new KeyValuePair<string, object?>("requirements", q.Requirements)
                )),
            description: "Pending tasks by the labels they require (from the store)."
        );
        Meter.CreateObservableGauge(
            "hearth_queue_matching_agents",
            () =>
                _sample.Queue.Select(q => new Measurement<long>(
                    q.MatchingAgents,
                    new KeyValuePair<string, object?>("requirements", q.Requirements)
                )),
            description: "Online agents whose labels satisfy a pending label set; 0 with work queued means nothing can take it."
        );
        Meter.CreateObservableGauge(
            "hearth_agents",
            () =>
                _sample.Agents.Select(a => new Measurement<long>(
                    a.Value,
                    new KeyValuePair<string, object?>("status", a.Key)
                )),
            description: "Registered agents by status (online, draining, offline)."
        );
        Meter.CreateObservableGauge(
            "hearth_tasks_active",
            () =>
                _sample.Running.Select(r => new Measurement<long>(
                    r.Value,
                    new KeyValuePair<string, object?>("driver", r.Key)
                )),
            description: "Tasks leased or running (each in a sandbox or starting one), by the driver they asked for (\"any\": the agent's default)."
        );
        Meter.CreateObservableGauge(
            "hearth_lock_waiters",
            () =>
                _sample.Locks.Select(l => new Measurement<long>(
                    l.Waiters,
                    new KeyValuePair<string, object?>("lock", l.Name)
                )),
            description: "Tasks queued for each lock."
        );
        Meter.CreateObservableGauge(
            "hearth_lock_oldest_wait_seconds",
            () =>
                _sample
                    .Locks.Where(l => l.OldestWait is not null)
                    .Select(l => new Measurement<double>(
                        l.OldestWait!.Value.TotalSeconds,
                        new KeyValuePair<string, object?>("lock", l.Name)
                    )),
            unit: "s",
            description: "How long each lock's first waiter has waited."
        );
        Meter.CreateObservableGauge(
            "hearth_lock_held_seconds",
            () =>
                _sample
                    .Locks.Where(l => l.HeldFor is not null)
                    .Select(l => new Measurement<double>(
                        l.HeldFor!.Value.TotalSeconds,
                        new KeyValuePair<string, object?>("lock", l.Name)
                    )),
            unit: "s",
            description: "How long each held lock has been held by its holder."
        );
    }

    public Meter Meter { get; }

    public void RunCreated(string kind) => _runsCreated.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void LeaseGranted(int count = 1) => _leasesGranted.Add(count);

    public void LeasesRescued(int runs) => _leaseRescues.Add(runs);

    public void StaleWrite(string call) => _staleWrites.Add(1, new KeyValuePair<string, object?>("call", call));

    public void TaskCompleted() => _tasksCompleted.Add(1);

    public void LogsStored(long lines, long bytes)
    {
        _logLines.Add(lines);
        _logBytes.Add(bytes);
    }

    /// <summary>An error of a class: database, internal, conflict, bad_request, metrics_store.</summary>
    public void Error(string errorClass) => _errors.Add(1, new KeyValuePair<string, object?>("class", errorClass));

    /// <summary>
    /// For the webhook receivers: one delivery from <paramref name="forge"/> (github, gitlab, gitea, …) and what came
    /// of it (<c>started</c>, <c>no_match</c>, <c>duplicate</c>, <c>ignored</c>, <c>bad_signature</c>, <c>invalid</c>,
    /// <c>failed</c>). Keep both to a small fixed set.
    /// </summary>
    public void WebhookDelivered(string forge, string outcome) =>
        _webhookDeliveries.Add(
            1,
            new KeyValuePair<string, object?>("forge", forge),
            new KeyValuePair<string, object?>("outcome", outcome)
        );

    /// <summary>
    /// For the group-commit writer: one transaction of <paramref name="deliveries"/> deliveries and how long it took.
    /// </summary>
    public void WebhookBatchWritten(int deliveries, TimeSpan took)
    {
        _webhookBatchDeliveries.Record(deliveries);
        _webhookBatchWrite.Record(took.TotalSeconds);
    }

    internal void RunEnded(string kind, string state, TimeSpan duration) =>
        _runDuration.Record(
            Math.Max(0, duration.TotalSeconds),
            new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("state", state)
        );

    internal void StartupPhase(string phase, string driver, TimeSpan duration) =>
        _startupPhase.Record(
            Math.Max(0, duration.TotalSeconds),
            new KeyValuePair<string, object?>("phase", phase),
            new KeyValuePair<string, object?>("driver", driver)
        );

    /// <summary>What the observable instruments report until the next scrape reads the store again.</summary>
    internal void Publish(StoreSample sample) => Volatile.Write(ref _sample, sample);

    private static IEnumerable<Measurement<long>> Final(IReadOnlyList<Store.Metrics.StateCount> counts) =>
        counts.Select(c => new Measurement<long>(
            c.Count,
            new KeyValuePair<string, object?>("kind", c.Kind),
            new KeyValuePair<string, object?>("state", c.State)
        ));

    public void Dispose() => Meter.Dispose();
}
