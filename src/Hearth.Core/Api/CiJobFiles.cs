namespace Hearth.Core.Api;

/// <summary>
/// What the agent moves between a GitLab job's workspace and GitLab (or its own cache) around the job's command: the
/// artifacts of the jobs it depends on (downloaded before), its cache (restored before, saved after) and its own
/// artifacts (uploaded after). The tokens are secrets: sent to the job's agent only, never stored in the task, never
/// logged.
/// </summary>
/// <param name="GitLabUrl">The GitLab instance (https://gitlab.example.com/), where /api/v4 lives.</param>
/// <param name="JobToken">The job's own token (JOB-TOKEN of its uploads).</param>
/// <param name="CacheScope">Whose caches these are (the runner's name and GitLab): a cache key is kept per
/// scope.</param>
public sealed record CiJobFiles(
    string GitLabUrl,
    long JobId,
    string JobToken,
    IReadOnlyList<CiArtifactUpload> Artifacts,
    IReadOnlyList<CiDependency> Dependencies,
    IReadOnlyList<CiCache> Caches,
    string CacheScope
);

/// <summary>One <c>artifacts:</c> entry: a zip of <paramref name="Paths"/> (globs, relative to the project directory)
/// without <paramref name="Exclude"/>, plus the untracked files when asked, uploaded when <paramref name="When"/>
/// (on_success, on_failure, always) holds.</summary>
public sealed record CiArtifactUpload(
    string Name,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Exclude,
    bool Untracked,
    string When,
    string? ExpireIn
);

/// <summary>A job whose artifacts this job downloads (GET /jobs/:id/artifacts with that job's token).</summary>
public sealed record CiDependency(long JobId, string Token, string Name, string? Filename);

/// <summary>One <c>cache:</c> entry. <paramref name="Policy"/>: pull-push, pull or push; <paramref name="When"/>: when
/// it is saved (on_success, on_failure, always).</summary>
public sealed record CiCache(string Key, IReadOnlyList<string> Paths, bool Untracked, string Policy, string When);
