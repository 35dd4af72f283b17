namespace Hearth.Store.GitLab;

/// <summary>
/// A stored runner: a GitLab instance, its runner authentication token (encrypted), and where its jobs run.
/// </summary>
public sealed record GitLabRunnerRecord(
    string Name,
    string Url,
    long? RunnerId,
    string TokenKeyId,
    string TokenCipher,
    IReadOnlyList<string> Tags,
    string Driver,
    string? Image,
    string? CreatedBy,
    DateTimeOffset CreatedAt
);

/// <summary>The states of a job taken from GitLab, as Hearth follows it.</summary>
public static class GitLabJobStates
{
    /// <summary>Taken; its run is being created or runs; its trace is being sent.</summary>
    public const string Running = "running";

    /// <summary>Its final state was accepted by GitLab (or GitLab said the job is gone).</summary>
    public const string Done = "done";
}

/// <summary>
/// A job taken from GitLab: its run (null until created) and, encrypted, what only the job's agent may see (the job
/// token and its variables).
/// </summary>
public sealed record GitLabJobRecord(
    string RunnerName,
    long JobId,
    string? RunId,
    string SecretKeyId,
    string SecretCipher,
    long TraceOffset,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt
);
