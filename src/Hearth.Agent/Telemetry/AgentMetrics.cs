using System.Diagnostics.Metrics;

namespace Hearth.Agent.Telemetry;

/// <summary>
/// The agent's instruments on a <see cref="Meter"/> of its own per agent (two agents in one process count apart),
/// served at the agent's /metrics when it has a metrics listener (<see cref="AgentMetricsListener"/>);
/// docs/observability.md describes each.
/// </summary>
public sealed class AgentMetrics : IDisposable
{
    public const string MeterName = "Hearth.Agent";

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
    ];

    private readonly Histogram<double> _sandboxStart;
    private readonly Counter<long> _startFailures;
    private readonly UpDownCounter<long> _sandboxesActive;
    private readonly Counter<long> _tasks;
    private readonly Counter<long> _orphansReaped;
    private readonly Counter<long> _orphansFailed;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _prewarmHints;

    public AgentMetrics()
    {
        Meter = new Meter(MeterName);
        _sandboxStart = Meter.CreateHistogram(
            "hearth_sandbox_start_seconds",
            unit: "s",
            description: "How long a driver took to start a sandbox (its start call), by driver.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets }
        );
        _startFailures = Meter.CreateCounter<long>(
            "hearth_sandbox_start_failures_total",
            description: "Sandboxes that failed to start, by driver."
        );
        _sandboxesActive = Meter.CreateUpDownCounter<long>(
            "hearth_agent_sandboxes_active",
            description: "Sandboxes this agent runs now, by driver."
        );
        _tasks = Meter.CreateCounter<long>(
            "hearth_agent_tasks_total",
            description: "Attempts this agent ran to an end, by driver and result (ok, failed, error)."
        );
        _orphansReaped = Meter.CreateCounter<long>(
            "hearth_agent_orphans_reaped_total",
            description: "Orphaned sandbox resources the reaper removed, by kind."
        );
        _orphansFailed = Meter.CreateCounter<long>(
            "hearth_agent_orphans_failed_total",
            description: "Orphaned sandbox resources the reaper could not remove (each pass tries again)."
        );
        _prewarmHints = Meter.CreateCounter<long>(
            "hearth_agent_prewarm_hints_total",
            description: "Prewarm hints from the server, by driver and outcome (started: a sandbox is being readied; declined)."
        );
        _errors = Meter.CreateCounter<long>(
            "hearth_agent_errors_total",
            description: "Errors by class (report: a call to the server failed; heartbeat: a heartbeat failed; reaper: a pass failed)."
        );
    }

    public Meter Meter { get; }

    public void SandboxStarted(string driver, TimeSpan took)
    {
        _sandboxStart.Record(took.TotalSeconds, new KeyValuePair<string, object?>("driver", driver));
        _sandboxesActive.Add(1, new KeyValuePair<string, object?>("driver", driver));
    }

    public void SandboxEnded(string driver) =>
        _sandboxesActive.Add(-1, new KeyValuePair<string, object?>("driver", driver));

    public void SandboxStartFailed(string driver) =>
        _startFailures.Add(1, new KeyValuePair<string, object?>("driver", driver));

    /// <param name="result">ok (exit 0), failed (another exit code) or error (no exit: the sandbox did not start, or
    /// was lost).</param>
    public void TaskEnded(string driver, string result) =>
        _tasks.Add(
            1,
            new KeyValuePair<string, object?>("driver", driver),
            new KeyValuePair<string, object?>("result", result)
        );

    public void OrphanReaped(string kind) => _orphansReaped.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void OrphanNotReaped() => _orphansFailed.Add(1);

    public void Error(string errorClass) => _errors.Add(1, new KeyValuePair<string, object?>("class", errorClass));

    public void PrewarmHint(string driver, string outcome) =>
        _prewarmHints.Add(
            1,
            new KeyValuePair<string, object?>("driver", driver),
            new KeyValuePair<string, object?>("outcome", outcome)
        );

    public void Dispose() => Meter.Dispose();
}
