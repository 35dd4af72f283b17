namespace Hearth.Store.GitLab;

/// <summary>Stored GitLab runners and the jobs taken from them, beside the runs (own version table). Each call is one
/// transaction.</summary>
public interface IGitLabStore : IMigratingStore
{
    /// <summary>False when a runner of that name exists already.</summary>
    Task<bool> AddRunnerAsync(GitLabRunnerRecord runner, CancellationToken ct);

    Task<IReadOnlyList<GitLabRunnerRecord>> ListRunnersAsync(CancellationToken ct);

    Task<GitLabRunnerRecord?> GetRunnerAsync(string name, CancellationToken ct);

    Task<bool> RemoveRunnerAsync(string name, CancellationToken ct);

    /// <summary>
    /// Stores a job taken from GitLab; false when it was stored before (the same job handed out again).
    /// </summary>
    Task<bool> AddJobAsync(GitLabJobRecord job, CancellationToken ct);

    Task SetJobRunAsync(string runnerName, long jobId, string runId, CancellationToken ct);

    Task<GitLabJobRecord?> GetJobAsync(string runnerName, long jobId, CancellationToken ct);

    Task<GitLabJobRecord?> GetJobByRunAsync(string runId, CancellationToken ct);

    Task<IReadOnlyList<GitLabJobRecord>> ListJobsAsync(string state, CancellationToken ct);

    Task SetTraceOffsetAsync(string runnerName, long jobId, long offset, CancellationToken ct);

    Task EndJobAsync(string runnerName, long jobId, DateTimeOffset now, CancellationToken ct);
}
