using Prometheus;

namespace Hearth.Server.GitLab;

/// <summary>The GitLab bridge's metrics, in the server's registry (served at /metrics).</summary>
public sealed class GitLabMetrics
{
    public GitLabMetrics(HearthMetrics server)
    {
        var factory = Metrics.WithCustomRegistry(server.Registry);
        Jobs = factory.CreateCounter("hearth_gitlab_jobs_total", "GitLab jobs ended, by the state reported to GitLab.", "status");
        Duration = factory.CreateHistogram("hearth_gitlab_job_duration_seconds", "From taking a GitLab job to reporting its end.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 14) });
        RequestErrors = factory.CreateCounter("hearth_gitlab_request_errors_total",
            "Calls to GitLab's runner API that failed (after retries) or were refused, by call.", "call");
    }

    public Counter Jobs { get; }
    public Histogram Duration { get; }
    public Counter RequestErrors { get; }
}
