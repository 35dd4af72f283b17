using System.Diagnostics.Metrics;
using Hearth.Server.Telemetry;

namespace Hearth.Server.GitLab;

/// <summary>The GitLab bridge's instruments, on the server's own meter (exported with the rest at /metrics).</summary>
public sealed class GitLabMetrics
{
    private static readonly IReadOnlyList<double> JobSeconds =
    [
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
        2048,
        4096,
        8192,
    ];

    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _requestErrors;

    public GitLabMetrics(HearthMetrics server)
    {
        _jobs = server.Meter.CreateCounter<long>(
            "hearth_gitlab_jobs_total",
            description: "GitLab jobs ended, by the state reported to GitLab."
        );
        _duration = server.Meter.CreateHistogram(
            "hearth_gitlab_job_duration_seconds",
            unit: "s",
            description: "From taking a GitLab job to reporting its end.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = JobSeconds }
        );
        _requestErrors = server.Meter.CreateCounter<long>(
            "hearth_gitlab_request_errors_total",
            description: "Calls to GitLab's runner API that failed (after retries) or were refused, by call."
        );
    }

    public void JobEnded(string status, TimeSpan took)
    {
        _jobs.Add(1, new KeyValuePair<string, object?>("status", status));
        _duration.Record(took.TotalSeconds);
    }

    public void RequestError(string call) => _requestErrors.Add(1, new KeyValuePair<string, object?>("call", call));
}
