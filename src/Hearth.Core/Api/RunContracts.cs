using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Core.Api;

/// <summary>POST /api/v1/runs. Durations in seconds, memory in bytes.</summary>
public sealed record CreateRunBody
{
    public IReadOnlyList<string>? Command { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public double? TimeoutSeconds { get; init; }
    public double? Cpus { get; init; }
    public long? MemoryBytes { get; init; }
    public int? Pids { get; init; }
    public string? Driver { get; init; }
    public string? Image { get; init; }

    /// <summary>
    /// Image pull policy, docker's words: missing (the default: a tag already on the agent is used as stored), always,
    /// never.
    /// </summary>
    public string? Pull { get; init; }
    public bool Network { get; init; }

    /// <summary>Published ports as docker writes them: "8080:80", "127.0.0.1:8080:80/tcp".</summary>
    public IReadOnlyList<string>? Publish { get; init; }
    public int? MaxAttempts { get; init; }
    public Dictionary<string, string>? Requirements { get; init; }

    /// <summary>
    /// Names of secrets to inject as environment variables; their values never enter the run's record.
    /// </summary>
    public IReadOnlyList<string>? Secrets { get; init; }

    /// <summary>
    /// Which failures are retried and how long each retry waits; null: only a lost agent re-queues the task.
    /// </summary>
    public RetryBody? Retry { get; init; }

    /// <summary>A cluster-wide lock the run must hold before it starts.</summary>
    public string? Lock { get; init; }

    /// <summary>
    /// How long the run may wait for <see cref="Lock"/> before it fails; null waits as long as it takes.
    /// </summary>
    public double? LockWaitSeconds { get; init; }

    /// <summary>Refuse the run (409 LOCK_BUSY, nothing created) when the lock is held.</summary>
    public bool NoWait { get; init; }

    /// <summary>
    /// A repository cloned into the workspace before the command (git_ref: branch, tag or SHA; git_path: where the
    /// command runs).
    /// </summary>
    public string? GitRepo { get; init; }
    public string? GitRef { get; init; }
    public string? GitPath { get; init; }

    /// <summary>A secret whose value is the clone's credentials (a token, or user:token).</summary>
    public string? GitSecret { get; init; }

    /// <summary>
    /// The same key (per user) returns the run it created first instead of a second one; the same key with another
    /// request is refused (409 IDEMPOTENCY_KEY_REUSED). The <c>Idempotency-Key</c> header does the same.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>
/// A run as the API shows it. Lists carry <see cref="CommandSummary"/> only; GET of one run the whole argv too.
/// </summary>
public sealed record RunView
{
    public const int SummaryLength = 200;

    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required RunState Status { get; init; }

    /// <summary>The whole argv: in GET /runs/{id}, not in lists.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>The argv joined by spaces, cut at <see cref="SummaryLength"/> characters ("…" when cut).</summary>
    public string CommandSummary { get; init; } = "";
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int? ExitCode { get; init; }
    public string? Reason { get; init; }

    /// <summary>
    /// Why a pending task waits for an agent, from the live agents and the task's needs ("waiting: no live agent has
    /// driver bubblewrap", "waiting: all 2 agents with labels group=test are busy (8 of 8 slots taken)"); null
    /// otherwise.
    /// </summary>
    public string? Waiting { get; init; }
    public string? CreatedBy { get; init; }
    public string? Driver { get; init; }
    public string? Image { get; init; }
    public double? Cpus { get; init; }
    public long? MemoryBytes { get; init; }
    public int? Pids { get; init; }
    public double? TimeoutSeconds { get; init; }
    public long LogLines { get; init; }
    public int Attempt { get; init; }
    public int MaxAttempts { get; init; }

    /// <summary>When a retried task becomes claimable again (null: at once).</summary>
    public DateTimeOffset? NotBefore { get; init; }
    public string? AgentId { get; init; }
    public IReadOnlyList<AttemptRecord> Attempts { get; init; } = [];

    /// <summary>
    /// Where the current attempt's start-up time went (null for a run without tasks, a workflow run).
    /// </summary>
    public StartupView? Startup { get; init; }

    public static RunView From(Run run)
    {
        var task = run.Tasks.Count > 0 ? run.Tasks[0] : null;
        return new RunView
        {
            Id = run.Id,
            Kind = run.Kind,
            Status = run.State,
            Command = run.Spec.Command,
            CommandSummary = Summarize(run.Spec.Command),
            CreatedAt = run.CreatedAt,
            StartedAt = run.StartedAt,
            EndedAt = run.EndedAt,
            ExitCode = run.ExitCode,
            Reason = run.Reason,
            CreatedBy = run.CreatedBy,
            Driver = run.Spec.Driver,
            Image = run.Spec.Image,
            Cpus = run.Spec.Cpus,
            MemoryBytes = run.Spec.MemoryBytes,
            Pids = run.Spec.Pids,
            TimeoutSeconds = run.Spec.Timeout?.TotalSeconds,
            LogLines = run.LogLines,
            Attempt = task?.Attempt ?? 0,
            MaxAttempts = task?.MaxAttempts ?? 0,
            NotBefore = task?.NotBefore,
            AgentId = task?.AgentId,
            Attempts = task?.History ?? [],
            Startup = run.Plan is null && task is not null ? StartupView.From(task) : null,
        };
    }

    /// <summary>A list item: everything but the whole argv.</summary>
    public static RunView ListItem(Run run) => From(run) with { Command = null };

    public static string Summarize(IReadOnlyList<string> command)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var argument in command)
        {
            if (builder.Length > 0)
                builder.Append(' ');
            builder.Append(argument.Length > SummaryLength ? argument.AsSpan(0, SummaryLength + 1) : argument);
            if (builder.Length > SummaryLength)
                return builder.ToString(0, SummaryLength) + "…";
        }
        return builder.ToString();
    }
}

public sealed record RunListView(IReadOnlyList<RunView> Runs);

/// <summary>
/// The startup breakdown of a task's current attempt: queued → leased → sandbox started → first output → exited →
/// result stored. Server times, except sandbox started, first output and exited (the agent's clock, bounded by the
/// lease TTL). A step not reached yet is null.
/// </summary>
public sealed record StartupView
{
    public required int Attempt { get; init; }
    public DateTimeOffset? QueuedAt { get; init; }
    public DateTimeOffset? LeasedAt { get; init; }
    public DateTimeOffset? SandboxStartedAt { get; init; }
    public DateTimeOffset? FirstOutputAt { get; init; }
    public DateTimeOffset? ExitedAt { get; init; }
    public DateTimeOffset? ResultStoredAt { get; init; }

    /// <summary>
    /// A retry is queued when the attempt before it ended, the first attempt when the task was created. Times from
    /// before the attempt was queued belong to the attempt before it (the task keeps them until it is leased again):
    /// not shown.
    /// </summary>
    public static StartupView From(RunTask task)
    {
        var queued = task.Attempt > 1 && task.History.Count > 0 ? task.History[^1].EndedAt : task.QueuedAt;
        DateTimeOffset? Own(DateTimeOffset? at) =>
            at is { } t && queued is { } q && task.Attempt > 1 && t <= q ? null : at;
        return new StartupView
        {
            Attempt = task.Attempt,
            QueuedAt = queued,
            LeasedAt = Own(task.LeasedAt),
            SandboxStartedAt = Own(task.StartedAt),
            FirstOutputAt = Own(task.FirstOutputAt),
            ExitedAt = Own(task.ExitedAt),
            ResultStoredAt = Transitions.Task.IsTerminal(task.State) ? task.EndedAt : null,
        };
    }
}

/// <param name="Step">The workflow step that wrote the line (null for ad-hoc runs and run-wide lines).</param>
public sealed record LogLineView(long Seq, DateTimeOffset Time, LogStream Stream, string Text, string? Step = null)
{
    public static LogLineView From(LogLine line) => new(line.Seq, line.Time, line.Stream, line.Text, line.Step);
}

/// <summary>GET /api/v1/runs/{id}/logs without follow: one page.</summary>
public sealed record LogPageView(
    string RunId,
    RunState Status,
    IReadOnlyList<LogLineView> Lines,
    long Next,
    bool Complete,
    int? ExitCode
);

/// <summary>The last event of a followed log.</summary>
public sealed record LogEndView(string RunId, RunState Status, int? ExitCode, string? Reason, long Next);

public sealed record ErrorView(string Error, string Code, object? Details = null);

/// <summary>The details of 409 IDEMPOTENCY_KEY_REUSED: the key, and the run it created first.</summary>
public sealed record IdempotencyKeyReusedDetails(string IdempotencyKey, string RunId);

/// <summary>POST /api/v1/images: register an image with the defaults its runs get.</summary>
public sealed record RegisterImageBody(string? Image, double? Cpus, long? MemoryBytes, bool Default);

public sealed record RegisteredImageView(
    string Image,
    double? Cpus,
    long? MemoryBytes,
    bool Default,
    string RegisteredBy,
    DateTimeOffset RegisteredAt
);

public sealed record RegisteredImageListView(IReadOnlyList<RegisteredImageView> Images);
