namespace Hearth.Server.Configuration;

/// <summary>
/// The GitLab runner bridge (server.yaml <c>gitlab.*</c>): bounds on what a job's size tag may ask for, how GitLab is
/// retried, and how long a job request waits when GitLab has nothing (GitLab's own long poll comes on top).
/// </summary>
public sealed record GitLabOptions
{
    public int MaxCpus { get; init; } = 16;
    public long MaxMemoryBytes { get; init; } = 64L << 30;
    public int Retries { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pause between job requests when GitLab had none (GitLab's long poll may make it shorter in effect).
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The longest pause after failed requests (the pause doubles from the poll interval).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the trace is sent while a job runs, unless GitLab asks for another interval.</summary>
    public TimeSpan TraceInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The secret token of GitLab's Job Hook (X-Gitlab-Token); null: the hook endpoint is off.</summary>
    public string? WebhookToken { get; init; }

    /// <summary>How long after_script may run (GitLab's default is 5 minutes).</summary>
    public TimeSpan AfterScriptTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
