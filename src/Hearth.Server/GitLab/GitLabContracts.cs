using System.Text.Json.Serialization;

namespace Hearth.Server.GitLab;

// GitLab's runner API (/api/v4), as GitLab documents it and gitlab-runner speaks it. Only the fields Hearth reads or
// sends are declared; unknown fields in GitLab's answers are ignored.

/// <summary>POST /runners/verify: checks a runner authentication token (glrt-…).</summary>
public sealed record VerifyRunnerRequest(string Token, string? SystemId);

/// <summary>What /runners/verify answers (200) for a runner authentication token.</summary>
public sealed record VerifyRunnerResponse(long? Id, string? Token, DateTimeOffset? TokenExpiresAt);

/// <summary>What the runner says about itself in every job request; features tell GitLab what it may send.</summary>
public sealed record RunnerVersionInfo(
    string Name,
    string Version,
    string Revision,
    string Platform,
    string Architecture,
    string Executor,
    string Shell,
    RunnerFeatures Features
);

/// <summary>The runner's features. Hearth declares what it does: masking, raw variables, trace checksum and size,
/// cancelation (graceful), the exit code, artifacts (with exclude) and cache; not services, sessions or
/// terminals.</summary>
public sealed record RunnerFeatures
{
    public bool Variables { get; init; } = true;
    public bool Image { get; init; } = true;
    public bool Services { get; init; }
    public bool Artifacts { get; init; } = true;
    public bool Cache { get; init; } = true;
    public bool Shared { get; init; }
    public bool UploadMultipleArtifacts { get; init; }
    public bool UploadRawArtifacts { get; init; }
    public bool Session { get; init; }
    public bool Terminal { get; init; }
    public bool Refspecs { get; init; } = true;
    public bool Masking { get; init; } = true;
    public bool Proxy { get; init; }
    public bool RawVariables { get; init; } = true;
    public bool ArtifactsExclude { get; init; } = true;
    public bool MultiBuildSteps { get; init; }
    public bool TraceReset { get; init; }
    public bool TraceChecksum { get; init; } = true;
    public bool TraceSize { get; init; } = true;
    public bool VaultSecrets { get; init; }
    public bool Cancelable { get; init; } = true;
    public bool ReturnExitCode { get; init; } = true;
    public bool CancelGracefully { get; init; } = true;
}

/// <summary>POST /jobs/request: asks for one job (201 with the job, 204 when there is none).</summary>
public sealed record JobRequest(RunnerVersionInfo Info, string Token, string? SystemId, string? LastUpdate);

public sealed record JobInfo(string? Name, string? Stage, long ProjectId, string? ProjectName);

public sealed record GitInfo(
    string RepoUrl,
    string? Ref,
    string Sha,
    string? BeforeSha,
    string? RefType,
    IReadOnlyList<string>? Refspecs,
    int Depth
);

public sealed record JobRunnerInfo(int Timeout);

/// <summary>
/// One CI variable. <c>file</c>: its value is written to a file and the variable names the file's path.
/// </summary>
public sealed record JobVariable(
    string Key,
    string? Value,
    bool Public,
    bool Internal,
    bool File,
    bool Masked,
    bool Raw
);

/// <summary>A step of the job: "script" (before_script and script, as GitLab joins them) or "after_script".</summary>
public sealed record JobStep(string Name, IReadOnlyList<string>? Script, int Timeout, string? When, bool AllowFailure);

public sealed record JobImage(
    string? Name,
    string? Alias,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyList<string>? Command
);

public sealed record JobArtifact(
    string? Name,
    bool Untracked,
    IReadOnlyList<string>? Paths,
    string? When,
    [property: JsonPropertyName("artifact_type")] string? Type,
    string? ExpireIn
)
{
    public IReadOnlyList<string>? Exclude { get; init; }

    [JsonPropertyName("artifact_format")]
    public string? Format { get; init; }
}

public sealed record JobCache(string? Key, bool Untracked, string? Policy, IReadOnlyList<string>? Paths, string? When);

/// <summary>A job this one depends on: its artifacts are downloaded with its own token.</summary>
public sealed record JobDependency(long Id, string? Token, string? Name)
{
    public DependencyArtifactsFile? ArtifactsFile { get; init; }
}

public sealed record DependencyArtifactsFile(string? Filename, long Size);

public sealed record GitLabFeatures(bool TraceSections, IReadOnlyList<string>? FailureReasons);

/// <summary>A job GitLab hands to the runner (the 201 answer of /jobs/request).</summary>
public sealed record JobResponse
{
    public long Id { get; init; }
    public required string Token { get; init; }
    public bool AllowGitFetch { get; init; }
    public JobInfo? JobInfo { get; init; }
    public required GitInfo GitInfo { get; init; }
    public JobRunnerInfo? RunnerInfo { get; init; }
    public IReadOnlyList<JobVariable>? Variables { get; init; }
    public IReadOnlyList<JobStep>? Steps { get; init; }
    public JobImage? Image { get; init; }
    public IReadOnlyList<JobImage>? Services { get; init; }
    public IReadOnlyList<JobArtifact>? Artifacts { get; init; }
    public IReadOnlyList<JobCache>? Cache { get; init; }
    public IReadOnlyList<JobDependency>? Dependencies { get; init; }
    public GitLabFeatures? Features { get; init; }

    /// <summary>GitLab Steps (the <c>run</c> keyword); not supported.</summary>
    public string? Run { get; init; }
}

/// <summary>The trace's checksum ("crc32:" and 8 hex digits) and its size in bytes.</summary>
public sealed record JobTraceOutput(string Checksum, long Bytesize);

/// <summary>PUT /jobs/:id: the job's final state (success, failed or canceled).</summary>
public sealed record UpdateJobRequest(
    RunnerVersionInfo Info,
    string Token,
    string State,
    string? FailureReason,
    int? ExitCode,
    string Checksum,
    JobTraceOutput Output
);
